"""Writes of call sessions and call links.

The status machine lives here and only here (``TRANSITIONS``)::

    started -> answered -> ended
    started -> ended            (hung up before anyone answered; duration from start)
    started -> missed | failed

Anything else is 409 ``CONFLICT``, except ending an ``ended`` call, which returns the call
unchanged (end is idempotent, also under concurrency: the row is locked while it changes).

Events ``call.started``, ``call.answered``, ``call.ended`` (also for ``failed``: the payload's
``status`` says which) and ``call.missed`` go to ``apps.webhooks.events.event_emit`` inside the
service's transaction, after the row is written: the webhooks app records them in the same
transaction (its outbox) and enqueues deliveries only on commit, so a rolled-back change
announces nothing and a committed one cannot lose its event. The payload is the contract's
``CallSession`` (``apps.calls.api.outputs.CallSessionOutput``, registered in ``apps.calls.events``).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from apps.calls.models import (
    SERVICE_FOR_TYPE,
    CallDirection,
    CallSession,
    CallStatus,
)
from apps.calls.selectors import CallActor, actor_conversation_get, call_session_get
from apps.developer.capabilities import service_capabilities
from apps.webhooks.catalog import event_data
from apps.webhooks.events import event_emit
from ringnity.api.errors import ApiError, ErrorCode, validation_failed

TRANSITIONS: dict[str, frozenset[str]] = {
    CallStatus.STARTED: frozenset({CallStatus.ANSWERED, CallStatus.ENDED, CallStatus.MISSED, CallStatus.FAILED}),
    CallStatus.ANSWERED: frozenset({CallStatus.ENDED}),
    CallStatus.ENDED: frozenset(),
    CallStatus.MISSED: frozenset(),
    CallStatus.FAILED: frozenset(),
}
#: Statuses a call may be created in: ``started``, or started and at once moved on
#: (a call logged as answered, missed or failed). ``ended`` goes through ``call_session_end``.
CREATE_STATUSES = (CallStatus.STARTED, CallStatus.ANSWERED, CallStatus.MISSED, CallStatus.FAILED)
#: How far in the future a client's ``startedAt`` may be (clock skew).
STARTED_AT_SKEW = timedelta(minutes=1)
#: How far before its conversation's creation a client's ``startedAt`` may be. A call about a
#: conversation cannot begin before the conversation exists; the allowance is only for a caller's
#: clock running behind the server's (a widget that opens the chat and the call at once). Without
#: the bound a caller could backdate a call to 1970 and have its end report decades of duration.
STARTED_AT_BEFORE_CONVERSATION_SKEW = timedelta(minutes=5)
#: The only direction of a visitor's call: the visitor calls the tenant, so it is ``inbound`` from
#: the tenant's side (reports count it that way). Staff record either direction.
VISITOR_DIRECTION = CallDirection.INBOUND


_EVENT_FOR_STATUS = {
    CallStatus.STARTED: "call.started",
    CallStatus.ANSWERED: "call.answered",
    CallStatus.ENDED: "call.ended",
    CallStatus.MISSED: "call.missed",
    CallStatus.FAILED: "call.ended",
}


def _emit(call: CallSession, tenant) -> None:
    """Announces the call's current status (see the module docstring for the timing)."""
    event_type = _EVENT_FOR_STATUS[call.status]
    event_emit(tenant=tenant, event_type=event_type, payload=event_data(event_type, call))


def _require_call_service(*, tenant, call_type: str) -> None:
    """The plan feature and service toggle for this call type (``voice_call`` / ``video_call``)."""
    service = SERVICE_FOR_TYPE[call_type]
    capability = next(c for c in service_capabilities(tenant) if c["key"] == service)
    if not capability["allowed"]:
        raise ApiError(
            ErrorCode.CALL_PERMISSION_DENIED,
            f"{capability['label']} is not available: {capability['reason'] or capability['status']}",
            status=403,
            details=[f"{service}: {capability['status']}"],
        )


def _check_transition(call: CallSession, to: str) -> None:
    if to not in TRANSITIONS[call.status]:
        raise ApiError(
            ErrorCode.CONFLICT,
            f"A {call.status} call cannot become {to}.",
            status=409,
            details=[f"status: {call.status} -> {to} is not allowed"],
        )


def _apply(call: CallSession, to: str, *, at: datetime, actor: CallActor | None, reason: str | None = None) -> None:
    """Moves ``call`` to ``to`` at ``at`` (in memory); the caller saves it."""
    _check_transition(call, to)
    call.status = to
    if to == CallStatus.ANSWERED:
        call.answered_at = max(at, call.started_at)
        return
    call.ended_at = max(at, call.answered_at or call.started_at)
    call.end_reason = reason or None
    if actor is not None:
        call.ended_by_kind = actor.kind
        call.ended_by_user = actor.user
    if to == CallStatus.ENDED:
        since = call.answered_at or call.started_at
        call.duration_seconds = math.floor((call.ended_at - since).total_seconds())


def _check_visitor_claims(*, status: str, direction: str) -> None:
    """What a call became and which way it went are the tenant's record (reports count both): a
    visitor only starts calls, and they are inbound (``VISITOR_DIRECTION``)."""
    details = []
    if status != CallStatus.STARTED:
        details.append(f"status: {status} is not allowed for a visitor")
    if direction != VISITOR_DIRECTION:
        details.append(f"direction: {direction} is not allowed for a visitor")
    if details:
        raise ApiError(
            ErrorCode.CALL_PERMISSION_DENIED,
            "A visitor starts inbound calls; anything else is recorded by the tenant's staff.",
            status=403,
            details=details,
        )


@transaction.atomic
def call_session_create(
    *,
    tenant,
    actor: CallActor,
    conversation_id: str,
    call_type: str,
    direction: str = CallDirection.INBOUND,
    status: str = CallStatus.STARTED,
    started_at: datetime | None = None,
    metadata: dict | None = None,
) -> CallSession:
    """A call about one of the actor's open conversations, if the plan includes this call type.

    ``status`` other than ``started`` records a call that already moved on, and ``direction``
    ``outbound`` a call the tenant placed (staff only). ``started_at`` may not precede the
    conversation (beyond ``STARTED_AT_BEFORE_CONVERSATION_SKEW``: 400 ``VALIDATION_FAILED``) and
    is capped at now.
    """
    actor.require_unbound()
    conversation = actor_conversation_get(
        tenant=tenant, actor=actor, conversation_id=conversation_id, code=ErrorCode.CALL_SESSION_CONVERSATION_REQUIRED
    )
    conversation.require_active()
    _require_call_service(tenant=tenant, call_type=call_type)
    if status not in CREATE_STATUSES:
        raise ApiError(
            ErrorCode.CONFLICT,
            f"A call cannot be created {status}; create it started, then end it (endCallSession).",
            status=409,
            details=[f"status: started -> {status} is not allowed"],
        )
    if actor.visitor is not None:
        _check_visitor_claims(status=status, direction=direction)
    if started_at is not None and started_at < conversation.created_at - STARTED_AT_BEFORE_CONVERSATION_SKEW:
        raise validation_failed(["startedAt: must not be before the conversation was created."])
    now = timezone.now()
    call = CallSession(
        tenant=tenant,
        conversation=conversation,
        type=call_type,
        direction=direction,
        status=CallStatus.STARTED,
        started_at=min(started_at or now, now),
        metadata=metadata or {},
        started_by_kind=actor.kind,
        started_by_user=actor.user,
    )
    call.save()
    _emit(call, tenant)
    if status != CallStatus.STARTED:
        _apply(call, status, at=now, actor=actor if status != CallStatus.ANSWERED else None)
        call.save()
        _emit(call, tenant)
    return call


def _check_callee(call: CallSession, actor: CallActor) -> None:
    """The callee answers: the tenant's staff an inbound call (the visitor calls), the visitor an outbound one."""
    if (actor.visitor is not None) != (call.direction == CallDirection.OUTBOUND):
        raise ApiError(
            ErrorCode.CALL_PERMISSION_DENIED,
            "Only the callee answers: the tenant's staff an inbound call, the visitor an outbound one.",
            status=403,
            details=[f"direction: {call.direction}"],
        )


@transaction.atomic
def call_session_answer(*, tenant, actor: CallActor, call_session_id: str) -> CallSession:
    """started -> answered, by the callee (``_check_callee``, else 403); 409 from any other status.

    The ``answerCallSession`` extension (``PATCH /calls/sessions/{id}/answer``) calls it: an agent
    picks up the call a visitor started from a call link, or a visitor the call an agent placed.
    """
    call = call_session_get(tenant=tenant, actor=actor, call_session_id=call_session_id, for_update=True)
    _check_callee(call, actor)
    _apply(call, CallStatus.ANSWERED, at=timezone.now(), actor=actor)
    call.save(update_fields=["status", "answered_at", "updated_at"])
    _emit(call, tenant)
    return call


@transaction.atomic
def call_session_fail(*, tenant, actor: CallActor, call_session_id: str, status: str, reason: str | None = None):
    """started -> missed (nobody answered, or the callee declined) | failed (it could not connect); 409 from
    any other status. Either side may say so: the ``failCallSession`` extension (``PATCH .../fail``)."""
    if status not in (CallStatus.MISSED, CallStatus.FAILED):
        raise ValueError(f"call_session_fail takes missed or failed, not {status!r}")
    call = call_session_get(tenant=tenant, actor=actor, call_session_id=call_session_id, for_update=True)
    _apply(call, status, at=timezone.now(), actor=actor, reason=reason)
    call.save()
    _emit(call, tenant)
    return call


@transaction.atomic
def call_session_end(*, tenant, actor: CallActor, call_session_id: str, reason: str | None = None) -> CallSession:
    """Ends a started or answered call: stores ``reason``, ``durationSeconds`` from answered (else started).

    Idempotent: ending an ended call returns it unchanged (first reason and duration kept, no
    second ``call.ended``). A missed or failed call never connected and is 409.
    """
    call = call_session_get(tenant=tenant, actor=actor, call_session_id=call_session_id, for_update=True)
    if call.status == CallStatus.ENDED:
        return call
    _apply(call, CallStatus.ENDED, at=timezone.now(), actor=actor, reason=reason)
    call.save()
    _emit(call, tenant)
    return call
