"""AI voice calls: a server-side session per SDP exchange, paid for before the provider is called, metered once.

``voice_session_start`` (``POST /ai/visitor/realtime/call``):

1. the SDP offer, a realtime-capable provider (503), routing (403 unless ``ai_first``: the AI itself talks),
   the ``ai_voice`` service and the quick balance / spend-limit refusals (402 / 429);
2. a hold (``apps.billing.hold_services.ai_hold_place``) for the call's cap: the plan's ``ai_voice``
   feature config ``maxCallMinutes`` (else ``AI_VOICE_MAX_CALL_MINUTES``), shrunk to the minutes the
   included quota and the available balance pay for (at least one minute, else 402 / 429);
3. the provider's SDP answer (a failure releases the hold: 503);
4. the session row (tenant, visitor, the visitor's AI conversation, the provider's session id from the
   answer's ``o=`` line, ``started_at``, ``max_seconds``, ``ends_at``) and a countdown task at the cap.

``voice_session_end(session_id=..., reason=...)`` ends it once — an explicit end (the visitor's
``POST /ai/visitor/realtime/calls/{sessionId}/end``, later the realtime gateway's end message) or the cap
(``ai.end_voice_session_at_cap`` countdown, ``ai.end_overdue_voice_sessions`` beat sweep) — and meters
``min(now, ends_at) - started_at`` through the hold, at least one ``voiceUnitSeconds`` unit: a call
that reached the provider is never billed 0. The session row is locked, so a double or parallel end
meters once and returns the same session.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.ai import metering, tasks
from apps.ai.models import AiVoiceSession, VoiceEndReason, voice_session_public_id
from apps.ai.providers import ProviderError, current_provider
from apps.ai.services import ai_conversation_open, require_ai_routing
from apps.billing import hold_services, pricing, selectors
from apps.billing.models import AiUsageKind
from apps.billing.services import Usage
from apps.chat.models import Visitor
from apps.developer import capabilities
from apps.plans import entitlements
from ringnity.api.errors import ApiError, ErrorCode, not_found, validation_failed

#: The hold outlives the cap by this much, so the cap's own end (not the hold sweep) closes the call.
HOLD_GRACE_SECONDS = 15 * 60
_SDP_ORIGIN = re.compile(r"^o=\S+ (\S+) ", re.MULTILINE)


def _now():
    """The clock of the voice sessions (one place, so tests can set it)."""
    return timezone.now()


def max_call_minutes(tenant) -> int:
    """The plan's ``ai_voice`` feature config ``maxCallMinutes``, else ``AI_VOICE_MAX_CALL_MINUTES``."""
    configured = entitlements.for_tenant(tenant).feature_config("ai_voice").get("maxCallMinutes")
    if isinstance(configured, int) and not isinstance(configured, bool) and configured > 0:
        return configured
    return max(1, int(settings.AI_VOICE_MAX_CALL_MINUTES))


def _provider_session_id(sdp_answer: str) -> str:
    """The answer's session id (RFC 8866 ``o=<username> <sess-id> ...``): the provider's name for the call."""
    found = _SDP_ORIGIN.search(sdp_answer)
    return found.group(1)[:128] if found else ""


def _realtime_provider():
    provider = current_provider()
    if not provider.realtime:
        raise ApiError(
            ErrorCode.AI_NOT_READY,
            "AI voice needs a realtime-capable AI provider, and none is configured.",
            status=503,
            details=["provider: extractive (no voice)"],
        )
    return provider


def voice_session_start(*, visitor: Visitor, sdp_offer: str) -> tuple[AiVoiceSession, str]:
    """The visitor's new AI voice session and the provider's SDP answer. See the module docstring."""
    tenant = visitor.tenant
    if not sdp_offer.startswith("v=0"):
        raise validation_failed(["body: an SDP offer starting with 'v=0' is required."])
    provider = _realtime_provider()
    require_ai_routing(tenant, answers_visitor=True)
    metering.spend_check(tenant, "ai_voice")
    capabilities.require_service(tenant, "ai_voice")
    cap_minutes = max_call_minutes(tenant)
    minute_micros = pricing.event_cost_micros(selectors.ai_pricing(), audio_seconds=60)[1]
    session_id = voice_session_public_id()  # the hold and the usage log name the call
    hold = hold_services.ai_hold_place(
        tenant=tenant,
        kind=AiUsageKind.VOICE,
        units=cap_minutes,
        unit_estimate_micros=minute_micros,
        ttl_seconds=cap_minutes * 60 + HOLD_GRACE_SECONDS,
        reference=session_id,
    )
    try:
        conversation = ai_conversation_open(visitor=visitor).conversation
        answer = provider.realtime_answer(sdp_offer, metering.limits())
        session = _session_create(session_id, visitor, conversation, hold, _provider_session_id(answer))
    except ProviderError as exc:
        hold_services.ai_hold_release(hold=hold)
        raise ApiError(ErrorCode.AI_NOT_READY, "The AI voice provider is not available.", status=503) from exc
    except Exception:
        hold_services.ai_hold_release(hold=hold)
        raise
    return session, answer


@transaction.atomic
def _session_create(session_id: str, visitor, conversation, hold, provider_session_id: str) -> AiVoiceSession:
    started = _now()
    max_seconds = hold.units * 60
    session = AiVoiceSession.objects.create(
        public_id=session_id,
        tenant=visitor.tenant,
        visitor=visitor,
        conversation=conversation,
        provider_session_id=provider_session_id,
        hold=hold,
        started_at=started,
        max_seconds=max_seconds,
        ends_at=started + timedelta(seconds=max_seconds),
    )
    transaction.on_commit(
        lambda: tasks.end_voice_session_at_cap.apply_async((session.public_id,), countdown=max_seconds)
    )
    return session


def voice_session_get(*, tenant, visitor: Visitor, session_id: str) -> AiVoiceSession:
    """The visitor's own voice session; another visitor's or tenant's → 404."""
    found = AiVoiceSession.objects.for_tenant(tenant).filter(public_id=session_id[:32], visitor=visitor).first()
    if found is None:
        raise not_found("AI voice session")
    return found


@transaction.atomic
def voice_session_end(*, session_id: str, reason: str) -> AiVoiceSession:
    """Ends the voice session ``session_id`` (its public id) and meters it through its hold, once.

    ``reason``: ``ended`` (an explicit end) or ``cap``. Idempotent: a session that has ended is returned
    as it is. Tenancy is the caller's: an API view finds the session with ``voice_session_get`` first.
    """
    if reason not in VoiceEndReason.values:
        raise ValueError(f"reason must be one of {VoiceEndReason.values}")
    session = AiVoiceSession.objects.select_for_update().select_related("hold__tenant").filter(public_id=session_id)
    session = session.first()
    if session is None:
        raise not_found("AI voice session")
    if session.ended_at is not None:
        return session
    now = _now()
    ended = min(now, session.ends_at)
    duration = max(0, math.ceil((ended - session.started_at).total_seconds()))
    unit = max(1, int(selectors.ai_pricing().voice_unit_seconds))
    billed = max(duration, unit)  # it reached the provider: never billed 0
    hold_services.ai_hold_settle(
        hold=session.hold, usage=Usage(model=metering.limits().voice_model, audio_seconds=billed)
    )
    session.ended_at = ended
    session.end_reason = VoiceEndReason.CAP if now >= session.ends_at else reason
    session.duration_seconds, session.billed_seconds = duration, billed
    session.save(update_fields=["ended_at", "end_reason", "duration_seconds", "billed_seconds"])
    return session


def voice_session_end_if_due(*, session_id: str) -> AiVoiceSession | None:
    """Ends the session at its cap when the cap has passed; an early or repeated call changes nothing."""
    due = AiVoiceSession.objects.filter(public_id=session_id, ended_at__isnull=True, ends_at__lte=_now())
    if not due.exists():
        return AiVoiceSession.objects.filter(public_id=session_id).first()
    return voice_session_end(session_id=session_id, reason=VoiceEndReason.CAP)


def voice_sessions_end_overdue(*, now=None) -> int:
    """Ends every open session past its cap (the countdown task was lost or ran early)."""
    now = now or _now()
    overdue = AiVoiceSession.objects.cross_tenant().filter(ended_at__isnull=True, ends_at__lte=now)
    ids = list(overdue.values_list("public_id", flat=True))
    for session_id in ids:
        voice_session_end(session_id=session_id, reason=VoiceEndReason.CAP)
    return len(ids)


def voice_session_payload(session: AiVoiceSession) -> dict:
    """The extension's ``AiVoiceSession`` shape."""
    return {
        "sessionId": session.public_id,
        "conversationId": session.conversation.public_id,
        "status": "ended" if session.ended_at else "active",
        "startedAt": session.started_at,
        "maxCallSeconds": session.max_seconds,
        "endsAt": session.ends_at,
        "endedAt": session.ended_at,
        "endReason": session.end_reason or None,
        "durationSeconds": session.duration_seconds,
        "billedSeconds": session.billed_seconds,
    }
