"""Guardrails before an AI call and metering after it, all through ``apps.platform`` (billing).

Before the provider is called (so a refused request costs nothing and calls nothing):

* the balance: included quota used up + empty balance + ``blockOnZero`` (and no overage)
  → 402 ``AI_BALANCE_EMPTY`` (the same rule as ``capabilities.ai_readiness``);
* the platform's daily / monthly spend limits (``dailySpendLimitCents`` /
  ``monthlySpendLimitCents``, per tenant, over what the ledger actually debited) → 429
  ``AI_SPEND_LIMIT_REACHED``.

After a reply, ``reply_meter`` writes the usage log and debits overage through
``services.ai_usage_record`` (row-locked, exact). Two concurrent requests that both pass
the balance check can overdraw by at most one reply each: the check is a guard, the
ledger is the truth.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Sum
from django.utils import timezone

from apps.ai.providers import Limits, Reply
from apps.billing import selectors
from apps.billing import services as billing
from apps.billing.models import AiUsageKind, AiUsageLog
from apps.developer import capabilities
from ringnity.api.errors import ApiError, ErrorCode


def limits() -> Limits:
    pricing = selectors.ai_pricing()
    return Limits(
        max_input_tokens=pricing.max_input_tokens,
        max_output_tokens=pricing.max_output_tokens,
        max_retries=pricing.max_retries,
        chat_model=pricing.chat_model,
        voice_model=pricing.voice_model,
    )


def guardrails() -> dict:
    """The pricing guardrails that shape one chat reply (context size, knowledge passages)."""
    pricing = selectors.ai_pricing()
    return {
        "max_context_messages": pricing.max_context_messages,
        "max_knowledge_chunks": pricing.max_knowledge_chunks,
    }


def _billed_since(tenant, since: datetime) -> int:
    total = AiUsageLog.objects.for_tenant(tenant).filter(created_at__gte=since).aggregate(total=Sum("billed_cents"))
    return int(total["total"] or 0)


def spend_check(tenant, service: str = "ai_chat") -> None:
    """Raises 402 / 429 as described above; the provider must not be called after a raise."""
    readiness = capabilities.ai_readiness(tenant)
    if "balance_empty" in readiness["services"][service]["missing"]:
        raise ApiError(
            ErrorCode.AI_BALANCE_EMPTY,
            "The AI balance is empty and the plan's included AI usage is used up.",
            status=402,
            details=["balance: top up the AI balance or enable overage"],
        )
    pricing = selectors.ai_pricing()
    now = timezone.now()
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    for label, since, limit in (
        ("daily", day_start, pricing.daily_spend_limit_cents),
        ("monthly", selectors.month_start(now), pricing.monthly_spend_limit_cents),
    ):
        if limit and _billed_since(tenant, since) >= limit:
            raise ApiError(
                ErrorCode.AI_SPEND_LIMIT_REACHED,
                f"The {label} AI spend limit is reached.",
                status=429,
                details=[f"{label}SpendLimitCents: {limit}"],
            )


def reply_meter(*, tenant, reply: Reply, reference: str, kind: str = AiUsageKind.CHAT_REPLY, audio_seconds: int = 0):
    """One usage log (and any overage debit) for one reply; returns the ``AiUsageLog``."""
    return billing.ai_usage_record(
        tenant=tenant,
        kind=kind,
        model=reply.model,
        input_tokens=reply.input_tokens,
        cached_input_tokens=reply.cached_input_tokens,
        output_tokens=reply.output_tokens,
        audio_seconds=audio_seconds,
        reference=reference,
    )


def voice_meter(*, tenant, audio_seconds: int, model: str, reference: str, kind: str = AiUsageKind.VOICE):
    """Meters an AI voice (or video) call when it ends: one usage log for its audio seconds.

    The SDP exchange cannot know the call's length; whoever ends the call (the calls app or a
    provider webhook) reports the seconds here. Voice time is billed in ``voiceUnitSeconds`` units.
    """
    if not isinstance(audio_seconds, int) or audio_seconds < 0:
        raise ValueError("audio_seconds must be a non-negative whole number")
    return billing.ai_usage_record(
        tenant=tenant, kind=kind, model=model, audio_seconds=audio_seconds, reference=reference
    )
