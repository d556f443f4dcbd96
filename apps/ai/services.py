"""Visitor AI: routing settings, AI conversations (chat conversations on channel ``ai``), replies, voice.

One exchange (``ai_chat_send``):

1. checks that cost nothing: the visitor's message rate (429), routing mode
   (403), readiness, balance (402), spend limits (429), input size (400) — a refused request
   never reaches the provider;
2. builds the provider's input (the best ``maxKnowledgeChunks`` passages, the last
   ``maxContextMessages`` messages trimmed to ``maxInputTokens``) and places a hold for the reply
   under the balance row lock (``metering.reply_hold``: 402/429 here too, nothing stored);
3. stores the visitor's message (a ``chat.Message``, sender ``visitor``) and commits it,
   so agents see it even if the provider is slow or down;
4. calls the provider outside any transaction;
5. stores the reply (sender ``ai``, provider/model/sources in metadata), settles the hold with the
   real tokens (usage log + debit) and counts the reply (``F() + 1``) in one transaction.
   A failed call releases the hold.

Routing mode ``ai_assisted``: the visitor's message is stored and answered with the hand-off text; no
provider is called here (``apps.ai.draft_services`` drafts a reply for the agents from the saved message).

Hand-off: when the visitor asks for a person, or the provider recommends it, or the
provider fails, the AI conversation is marked handed off, a system message says so and
the chat conversation stays open and unassigned: it is in the agents' queue. After that
the AI stays silent (no provider call, nothing metered) and agents answer.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.ai import metering
from apps.ai.knowledge.search import search
from apps.ai.models import AiConversation, AiSettings, RoutingMode
from apps.ai.providers import Passage, ProviderError, Reply, current_provider
from apps.ai.providers.base import estimate_tokens
from apps.audit.services import audit_record, audited
from apps.chat.conversation_services import chat_availability, conversation_start
from apps.chat.message_services import message_send
from apps.chat.models import Message, SenderType, Visitor
from apps.chat.visitor_services import visitor_identify
from apps.developer import capabilities
from ringnity.api.errors import ApiError, ErrorCode, not_found, validation_failed
from ringnity.api.throttling import Window, rate_limited, window_charge

AI_CHANNEL = "ai"
#: Per visitor, per minute: a scripted visitor cannot run up the tenant's AI bill faster than this.
VISITOR_MESSAGES_PER_MINUTE = 20
HANDED_OFF_TEXT = "A member of our team will reply here shortly."
PROVIDER_DOWN_TEXT = "Our assistant is not available right now. A member of our team will reply here shortly."
_PERSON_REQUEST = re.compile(
    r"\b(?:talk|speak|chat)\s+(?:to|with)\s+(?:a\s+|an\s+|the\s+|some\s*|your\s+)?"
    r"(?:human|person|agent|operator|representative|someone|somebody|staff|team member|real person)\b"
    r"|\b(?:real|live)\s+(?:person|human|agent)\b|\bhuman\b",
    re.IGNORECASE,
)


# --- routing ------------------------------------------------------------------------------


def ai_settings_get(*, tenant) -> AiSettings:
    found = AiSettings.objects.for_tenant(tenant).first()
    return found or AiSettings(tenant=tenant)


@audited("routing_mode.set")
@transaction.atomic
def routing_mode_set(*, tenant, mode: str) -> AiSettings:
    """Sets the tenant's routing mode (the console and ``PUT /sdk/developer/ai-routing`` call this)."""
    if mode not in RoutingMode.values:
        raise validation_failed(["mode: must be one of human_only, ai_first, ai_assisted."])
    row, _ = AiSettings.objects.select_for_update().get_or_create(tenant=tenant)
    before = {"routing_mode": row.routing_mode}
    if row.routing_mode != mode:
        row.routing_mode = mode
        row.save(update_fields=["routing_mode", "updated_at"])
    audit_record(action="routing_mode.set", target=row, before=before, after={"routing_mode": mode}, tenant=tenant)
    return row


def routing_get(*, tenant) -> dict:
    """The contract's AI routing: mode, whether the AI may answer now, whether an agent is online."""
    mode = ai_settings_get(tenant=tenant).routing_mode
    can_use = False
    if mode != RoutingMode.HUMAN_ONLY:
        capability = next(c for c in capabilities.service_capabilities(tenant) if c["key"] == "ai_chat")
        can_use = capability["allowed"]
    return {"mode": mode, "canUseAi": can_use, "humanFallbackAvailable": chat_availability(tenant=tenant)["available"]}


#: Where a workspace owner changes the routing mode (named in the 403s below).
ROUTING_SETTING = "PUT /api/sdk/developer/ai-routing"


def require_ai_routing(tenant, *, answers_visitor: bool = False) -> None:
    """403 unless the routing mode lets the AI work here: never with ``human_only``; with ``answers_visitor``
    (AI voice: the AI itself talks to the visitor) only with ``ai_first``."""
    mode = ai_settings_get(tenant=tenant).routing_mode
    if mode == RoutingMode.HUMAN_ONLY:
        raise ApiError(
            ErrorCode.FEATURE_NOT_AVAILABLE,
            "This workspace answers with people only (AI routing mode human_only). The workspace owner can "
            "turn the AI on in Developer Settings: PUT /api/sdk/developer/ai-routing with mode ai_first.",
            status=403,
            details=["mode: human_only", f"change: {ROUTING_SETTING}"],
        )
    if answers_visitor and mode != RoutingMode.AI_FIRST:
        raise ApiError(
            ErrorCode.FEATURE_NOT_AVAILABLE,
            "In this workspace the AI only drafts replies for the agents (AI routing mode ai_assisted), so it "
            "takes no voice calls. The workspace owner can change it: PUT /api/sdk/developer/ai-routing.",
            status=403,
            details=[f"mode: {mode}", f"change: {ROUTING_SETTING}"],
        )


def _require_ai_chat(tenant) -> None:
    """Routing, balance (402) and spend limits (429), then the service status (403)."""
    require_ai_routing(tenant)
    metering.spend_check(tenant, "ai_chat")
    capabilities.require_service(tenant, "ai_chat")


# --- conversations --------------------------------------------------------------------------


def ai_conversation_payload(ai_conversation: AiConversation) -> dict:
    return {"aiConversationId": ai_conversation.public_id, "conversationId": ai_conversation.conversation.public_id}


def ai_conversation_start(*, visitor: Visitor, identity: dict | None = None, metadata: dict | None = None):
    """The visitor's AI conversation: its open chat conversation (created on channel ``ai``) with an AI record."""
    _require_ai_chat(visitor.tenant)
    return ai_conversation_open(visitor=visitor, identity=identity, metadata=metadata)


def ai_conversation_open(*, visitor: Visitor, identity: dict | None = None, metadata: dict | None = None):
    """``ai_conversation_start`` without the chat checks (AI voice checks its own service first)."""
    with transaction.atomic():
        if identity:
            visitor_identify(visitor=visitor, identity=identity)
        conversation, _ = conversation_start(visitor=visitor, metadata=metadata or {}, channel=AI_CHANNEL)
        ai_conversation, _ = AiConversation.objects.get_or_create(
            conversation=conversation, defaults={"tenant": visitor.tenant, "visitor": visitor}
        )
    ai_conversation.conversation = conversation
    return ai_conversation


def ai_conversation_find(*, visitor: Visitor, ai_conversation_id: str = "", conversation_id: str = ""):
    """The visitor's own AI conversation by either id; another visitor's or tenant's → 404."""
    conversations = AiConversation.objects.for_tenant(visitor.tenant).select_related("conversation")
    if ai_conversation_id:
        found = conversations.filter(public_id=ai_conversation_id[:32], visitor=visitor).first()
    else:
        found = conversations.filter(conversation__public_id=conversation_id[:32], visitor=visitor).first()
    if found is None:
        raise not_found("AI conversation")
    return found


# --- one exchange ------------------------------------------------------------------------------


def _clock() -> float:
    return time.time()


def _visitor_rate_check(visitor: Visitor) -> None:
    """429 ``RATE_LIMITED`` beyond ``VISITOR_MESSAGES_PER_MINUTE`` AI messages of one visitor (shared cache)."""
    window = Window(f"ai:chat-rate:{visitor.tenant_id}:{visitor.pk}", VISITOR_MESSAGES_PER_MINUTE, 60)
    charge = window_charge([window], now=_clock())
    if charge.refused:
        raise rate_limited("Too many AI messages; wait a moment.", charge.retry_after)


def _context(conversation, message: str, limit: int, budget: int, *, before=None) -> list[dict]:
    """The visitor's ``message`` after the chat conversation's last live messages (``limit`` in all; those
    older than message ``before`` when given) as provider messages, oldest first, within ``budget`` tokens;
    ``message`` is always kept."""
    history = Message.objects.for_tenant(conversation.tenant).filter(
        conversation_id=conversation.pk, deleted_at__isnull=True
    )
    if before is not None:
        history = history.filter(created_at__lte=before.created_at).exclude(pk=before.pk)
    rows = list(
        history.exclude(sender_type=SenderType.SYSTEM)
        .order_by("-created_at", "-id")
        .values_list("sender_type", "body")[: max(0, limit - 1)]
    )
    messages, used = [{"role": "user", "content": message}], estimate_tokens(message)
    for sender_type, body in rows:  # newest first
        cost = estimate_tokens(body)
        if messages and used + cost > budget:
            break
        used += cost
        messages.append({"role": "user" if sender_type == SenderType.VISITOR else "assistant", "content": body})
    return list(reversed(messages))


def _handoff(ai_conversation: AiConversation, reason: str) -> None:
    if ai_conversation.handed_off_at is None:
        ai_conversation.handed_off_at = timezone.now()
        ai_conversation.handoff_reason = reason[:200]
        ai_conversation.save(update_fields=["handed_off_at", "handoff_reason"])
        message_send(
            conversation=ai_conversation.conversation,
            sender_type=SenderType.SYSTEM,
            body="The visitor was handed over to the team.",
            metadata={"aiHandoff": True, "reason": reason[:200]},
        )


def chat_answer(ai_conversation, text: str, handoff: bool, metadata: dict) -> dict:
    return {
        **ai_conversation_payload(ai_conversation),
        "message": text,
        "handoffRecommended": handoff,
        "metadata": metadata,
    }


def visitor_message_store(ai_conversation, visitor, message: str, client_message_id: str) -> Message:
    return message_send(
        conversation=ai_conversation.conversation,
        sender_type=SenderType.VISITOR,
        body=message,
        visitor=visitor,
        client_message_id=client_message_id,
    )[0]


def _silent_handoff(ai_conversation, visitor, message: str, reason: str, text: str, client_message_id: str) -> dict:
    with transaction.atomic():
        visitor_message_store(ai_conversation, visitor, message, client_message_id)
        _handoff(ai_conversation, reason)
    return chat_answer(ai_conversation, text, True, {"provider": None, "handoffReason": reason})


@transaction.atomic
def ai_handoff_request(*, visitor: Visitor, ai_conversation_id: str = "", conversation_id: str = "") -> dict:
    """The visitor asks for a person (the widget's button): its AI conversation is handed off as when it
    writes so (``visitor_asked``), in any routing mode, without the provider; once only."""
    ai_conversation = ai_conversation_find(
        visitor=visitor, ai_conversation_id=ai_conversation_id, conversation_id=conversation_id
    )
    AiConversation.objects.for_tenant(visitor.tenant).select_for_update().filter(pk=ai_conversation.pk).first()
    ai_conversation.refresh_from_db(fields=["handed_off_at", "handoff_reason"])
    _handoff(ai_conversation, "visitor_asked")
    return chat_answer(ai_conversation, HANDED_OFF_TEXT, True, {"provider": None, "handoffReason": "visitor_asked"})


def ai_chat_send(**exchange) -> dict:
    """One visitor message and its AI answer (the contract's ``AiChat`` data). See the module docstring.

    ``stream: true`` is ``apps.ai.streaming.ai_chat_stream`` (the same keyword arguments): the same steps,
    the reply over the realtime gateway."""
    prepared = ai_chat_prepare(**exchange)
    if isinstance(prepared, dict):
        return prepared
    try:
        return _reply(prepared, exchange["visitor"], exchange["message"], exchange.get("client_message_id", ""))
    except Exception:
        metering.reply_release(hold=prepared.hold)  # a no-op once settled
        raise


@dataclass(frozen=True)
class PreparedReply:
    """Steps 1-2 of an exchange done: what the provider gets, and the hold that pays for the reply."""

    ai_conversation: AiConversation
    provider: object
    context: list[dict]
    passages: list[Passage]
    hold: object


def ai_chat_prepare(
    *,
    visitor: Visitor,
    message: str,
    ai_conversation_id: str = "",
    conversation_id: str = "",
    client_message_id: str = "",
) -> PreparedReply | dict:
    """Steps 1-2 (checks, provider input, hold); or the answer itself when the AI stays silent."""
    tenant = visitor.tenant
    _visitor_rate_check(visitor)
    if ai_conversation_id or conversation_id:
        ai_conversation = ai_conversation_find(
            visitor=visitor, ai_conversation_id=ai_conversation_id, conversation_id=conversation_id
        )
    else:
        ai_conversation = ai_conversation_start(visitor=visitor)  # runs the checks of _require_ai_chat
    if ai_settings_get(tenant=tenant).routing_mode == RoutingMode.AI_ASSISTED:
        # The AI only drafts for the agents (apps.ai.draft_services, queued when the message is saved).
        with transaction.atomic():
            visitor_message_store(ai_conversation, visitor, message, client_message_id)
        return chat_answer(
            ai_conversation, HANDED_OFF_TEXT, True, {"provider": None, "routing": RoutingMode.AI_ASSISTED}
        )
    if ai_conversation.handed_off_at is not None or ai_conversation.conversation.assigned_agent_id:
        # An agent has the conversation (or it was handed off): the AI never talks over a person.
        reason = "handed_off" if ai_conversation.handed_off_at else "agent_assigned"
        return _silent_handoff(ai_conversation, visitor, message, reason, HANDED_OFF_TEXT, client_message_id)
    if ai_conversation_id or conversation_id:
        _require_ai_chat(tenant)
    limits = metering.limits()
    if estimate_tokens(message) > limits.max_input_tokens:
        raise validation_failed([f"message: longer than the AI accepts ({limits.max_input_tokens} tokens)."])
    if _PERSON_REQUEST.search(message):
        return _silent_handoff(ai_conversation, visitor, message, "visitor_asked", HANDED_OFF_TEXT, client_message_id)

    prepared = provider_input(ai_conversation.conversation, message)
    provider = current_provider()
    hold = metering.reply_hold(
        tenant=tenant, provider=provider, input_tokens=prepared.input_tokens, reference=ai_conversation.public_id
    )
    return PreparedReply(ai_conversation, provider, prepared.context, prepared.passages, hold)


@dataclass(frozen=True)
class ProviderInput:
    """What the provider is sent for one reply, and its estimated input tokens (for the reply's hold)."""

    context: list[dict]
    passages: list[Passage]
    input_tokens: int


def provider_input(conversation, message: str, *, before=None) -> ProviderInput:
    """The best ``maxKnowledgeChunks`` passages for ``message`` and the conversation's last
    ``maxContextMessages`` messages ending with it (older than message ``before`` when given), within
    ``maxInputTokens`` together."""
    limits, guard = metering.limits(), metering.guardrails()
    hits = search(tenant=conversation.tenant, query=message, limit=max(1, guard["max_knowledge_chunks"]))
    passages = [
        Passage(h.document.public_id, h.document.title, h.document.source, h.chunk.content, h.coverage) for h in hits
    ]
    knowledge_cost = sum(estimate_tokens(p.text) for p in passages)
    budget = max(estimate_tokens(message), limits.max_input_tokens - knowledge_cost)
    context = _context(conversation, message, guard["max_context_messages"], budget, before=before)
    return ProviderInput(context, passages, knowledge_cost + sum(estimate_tokens(m["content"]) for m in context))


def _reply(prepared: PreparedReply, visitor, message, client_message_id) -> dict:
    """Steps 3-5 of ``ai_chat_send`` for a placed hold."""
    ai_conversation, provider, hold = prepared.ai_conversation, prepared.provider, prepared.hold
    with transaction.atomic():
        visitor_message_store(ai_conversation, visitor, message, client_message_id)
    try:
        reply: Reply = provider.reply(prepared.context, prepared.passages, metering.limits())
    except ProviderError:
        return provider_failed(ai_conversation, hold, provider)
    ai_message, usage, metadata = reply_store(ai_conversation, hold, reply)
    metadata.update(
        {"messageId": ai_message.public_id, "usageLogId": usage.pk, "chargedMicros": usage.retail_charge_micros}
    )
    return chat_answer(ai_conversation, reply.text, reply.handoff_recommended, metadata)


def provider_failed(ai_conversation: AiConversation, hold, provider) -> dict:
    """The provider failed: the hold goes back and the conversation is handed to the agents."""
    metering.reply_release(hold=hold)
    with transaction.atomic():
        _handoff(ai_conversation, "provider_error")
    return chat_answer(ai_conversation, PROVIDER_DOWN_TEXT, True, {"provider": provider.name, "error": True})


def reply_store(ai_conversation: AiConversation, hold, reply: Reply, public_id: str = ""):
    """Step 5: the reply stored (as ``public_id`` when one was announced), the hold settled with its real
    tokens and the reply counted, in one transaction: ``(message, usage log, metadata)``."""
    tenant = ai_conversation.tenant
    metadata = {
        "provider": reply.provider,
        "model": reply.model,
        "sources": reply.sources,
        "inputTokens": reply.input_tokens + reply.cached_input_tokens,
        "outputTokens": reply.output_tokens,
    }
    with transaction.atomic():
        ai_message, _ = message_send(
            conversation=ai_conversation.conversation,
            sender_type=SenderType.AI,
            body=reply.text,
            metadata={**metadata, "handoffRecommended": reply.handoff_recommended},
            public_id=public_id,
        )
        usage = metering.reply_settle(hold=hold, reply=reply)
        AiConversation.objects.for_tenant(tenant).filter(pk=ai_conversation.pk).update(reply_count=F("reply_count") + 1)
        if reply.handoff_recommended:
            _handoff(ai_conversation, "no_answer")
    return ai_message, usage, metadata
