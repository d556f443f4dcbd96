"""Guardrails before an AI call and metering after it, through ``apps.billing`` (holds and the usage log).

Before the provider is called (so a refused request costs nothing and calls nothing):

* a quick unlocked refusal (``spend_check``): included quota used up + empty balance +
  ``blockOnZero`` (and no overage) → 402 ``AI_BALANCE_EMPTY`` (the rule of
  ``capabilities.ai_readiness``); a daily / monthly spend limit reached → 429 ``AI_SPEND_LIMIT_REACHED``;
* then the authoritative one: a hold (``apps.billing.hold_services.ai_hold_place``) under the
  balance row lock sets aside an included reply, or the reply's estimated retail cost
  (``maxOutputTokens`` + the estimated input at the pricing's prices) from the available balance.
  Parallel requests cannot spend the same cent: with block-on-zero the balance never goes below 0.

After the reply, ``reply_settle`` meters its real tokens against the hold; a failed call releases it.
"""

from __future__ import annotations

from apps.ai.providers import Limits, Provider, Reply
from apps.billing import hold_services, pricing, selectors
from apps.billing.models import AiHold, AiUsageKind, AiUsageLog
from apps.billing.services import Usage
from apps.developer import capabilities

#: The provider's system prompt and message framing, added to the estimated input of a reply's hold.
PROMPT_OVERHEAD_TOKENS = 200
#: A reply's hold is released by the sweep if it was neither settled nor released by then.
REPLY_HOLD_SECONDS = 10 * 60


def limits() -> Limits:
    pricing_row = selectors.ai_pricing()
    return Limits(
        max_input_tokens=pricing_row.max_input_tokens,
        max_output_tokens=pricing_row.max_output_tokens,
        max_retries=pricing_row.max_retries,
        chat_model=pricing_row.chat_model,
        voice_model=pricing_row.voice_model,
    )


def guardrails() -> dict:
    """The pricing guardrails that shape one chat reply (context size, knowledge passages)."""
    pricing_row = selectors.ai_pricing()
    return {
        "max_context_messages": pricing_row.max_context_messages,
        "max_knowledge_chunks": pricing_row.max_knowledge_chunks,
    }


def spend_check(tenant, service: str = "ai_chat") -> None:
    """Raises 402 / 429 as described above; the provider must not be called after a raise."""
    readiness = capabilities.ai_readiness(tenant)
    if "balance_empty" in readiness["services"][service]["missing"]:
        raise hold_services.balance_empty()
    hold_services.spend_limit_check(tenant)


def reply_hold(*, tenant, provider: Provider, input_tokens: int, reference: str) -> AiHold:
    """Sets aside one reply: an included one, or ``maxOutputTokens`` + ``input_tokens`` at retail (402/429)."""
    pricing_row = selectors.ai_pricing()
    estimate = 0
    if getattr(provider, "uses_tokens", True):
        tokens = {"input_tokens": input_tokens + PROMPT_OVERHEAD_TOKENS, "output_tokens": pricing_row.max_output_tokens}
        estimate = pricing.event_cost_micros(pricing_row, **tokens)[1]
    return hold_services.ai_hold_place(
        tenant=tenant,
        kind=AiUsageKind.CHAT_REPLY,
        units=1,
        unit_estimate_micros=estimate,
        ttl_seconds=REPLY_HOLD_SECONDS,
        reference=reference,
    )


def reply_settle(*, hold: AiHold, reply: Reply) -> AiUsageLog:
    """Meters the reply's real tokens against its hold (usage log, debit)."""
    usage = Usage(reply.model, reply.input_tokens, reply.cached_input_tokens, reply.output_tokens)
    return hold_services.ai_hold_settle(hold=hold, usage=usage)


def reply_release(*, hold: AiHold) -> None:
    """Gives the reply's hold back unless it was settled (idempotent)."""
    hold_services.ai_hold_release(hold=hold)
