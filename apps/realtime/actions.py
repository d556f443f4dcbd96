"""What an authenticated socket can ask for: resume, subscribe/unsubscribe, typing, presence, call
signalling; admission (origin, plan quota) and what happens when an agent's last socket goes.

Each handler validates its frame (``apps.realtime.protocol``), checks that the principal may read the
conversation or call (the REST rules: ``topics.may_read``, ``apps.calls.selectors.call_session_get``),
and answers with a frame or a ``FrameError`` (an ``error`` frame; the socket stays open).
"""

from __future__ import annotations

import asyncio
import contextlib
import time

from apps.ai.models import VoiceEndReason
from apps.ai.voice_services import voice_session_end, voice_session_get
from apps.calls.models import CallActorKind
from apps.calls.selectors import CallActor, call_session_get
from apps.calls.services import call_session_end
from apps.chat.agent_services import agent_presence_update
from apps.chat.api.outputs import PresenceOutput
from apps.chat.models import AgentPresence, AgentPresenceStatus, Visitor
from apps.plans.entitlements import for_tenant
from apps.runtime.services import origin_allowed_for_tenant
from apps.tenants.models import Tenant, User
from ringnity.api.errors import ApiError, ErrorCode
from ringnity.api.outputs import iso_utc

from . import durable, protocol
from .connections import agent_key, registry
from .ephemeral import signal_publish
from .listeners import AuthRefused, Listener
from .protocol import Close, FrameError, ack_frame, cursor_text, encode
from .threads import db
from .topics import Audience, conversation_audiences, hears_durable, may_read

QUOTA_KEY = "realtime_connections"
#: The public id prefix of AI voice sessions (``apps.ai.models.voice_session_public_id``).
AI_VOICE_PREFIX = "avs_"
REPLAY_PAGE = 500
#: A resume that would scan more events than this answers resync_required (reload over REST instead).
REPLAY_MAX_SCANNED = 50_000
MAX_SUBSCRIPTIONS = 200
AUDIENCE_TTL = 10.0
TYPING_REPEAT_SECONDS = 0.5
#: At most this many typing frames per conversation and socket are relayed in any second (a change of state
#: included: a client flipping isTyping cannot flood the others).
TYPING_PER_SECOND = 2


def admission(listener: Listener, *, origin: str, same_origin: bool) -> int:
    """The tenant's connection limit for this new socket (-1: unlimited); ``AuthRefused`` when the browser
    origin is not the tenant's (the REST CORS rule) or the plan has no realtime connections."""
    tenant = Tenant.objects.get(pk=listener.tenant_pk)
    if origin and not same_origin and not origin_allowed_for_tenant(tenant=tenant, origin=origin):
        raise AuthRefused(Close.FORBIDDEN, ErrorCode.SDK_ORIGIN_NOT_ALLOWED, "This origin is not allowed.")
    limit = for_tenant(tenant).quota(QUOTA_KEY).enforced_limit
    if limit == 0:
        raise AuthRefused(
            Close.FORBIDDEN, ErrorCode.FEATURE_NOT_AVAILABLE, "The plan includes no realtime connections."
        )
    return -1 if limit is None else limit


def ready_frame(conn, cursor: int) -> dict:
    listener = conn.listener
    return {
        "type": "ready",
        "connectionId": conn.connection_id,
        "principal": listener.principal_frame(),
        "cursor": cursor_text(cursor),
        "heartbeatSeconds": conn.settings_ping,
        "expiresAt": iso_utc(listener.expires_at),
    }


#: What a call-bound socket (the call link's credential) may send besides its call's signalling.
CALL_BOUND_FRAMES = frozenset({"resume"})


async def handle(conn, kind: str, frame: dict) -> None:
    handler = _HANDLERS.get(kind) or (call_signal if kind in protocol.CALL_SIGNALS else None)
    if handler is None:
        raise FrameError(
            ErrorCode.VALIDATION_FAILED, f"Unknown frame type {kind[:40]!r}.", request_id=protocol.request_id(frame)
        )
    if conn.listener.call_session_id and handler is not call_signal and kind not in CALL_BOUND_FRAMES:
        raise FrameError(
            ErrorCode.PERMISSION_DENIED,
            "This credential is for one call session's signalling only.",
            request_id=protocol.request_id(frame),
        )
    await handler(conn, frame)


# --- resume ---------------------------------------------------------------------------------------


def _resync(reason: str, cursor: int) -> str:
    return encode({"type": "resync_required", "reason": reason, "cursor": cursor_text(cursor)})


async def _drained(conn) -> None:
    """Replay waits for the socket to take what it was given (a replay never trips the slow-socket bound)."""
    while not conn.closing and conn.queue.qsize() > conn.queue_limit // 2:
        await asyncio.sleep(0.02)


async def resume(conn, frame: dict) -> None:
    """Replays every durable event after the cursor that the principal hears, then ``resumed``; live frames
    that arrive meanwhile wait and follow, without the ones the replay already gave."""
    after = protocol.cursor(frame)
    listener = conn.listener
    if conn.held is None:
        conn.held = []
    try:
        newest, floor = await db(durable.cursor_window)(tenant_id=listener.tenant_pk)
        if after > newest or after < floor:
            conn.enqueue(_resync("cursor_unknown" if after > newest else "cursor_expired", newest))
            conn.covered = max(conn.covered, newest)
            return
        position, replayed, scanned = after, 0, 0
        while position < newest and not conn.closing:
            items = await db(durable.items_after)(
                tenant_id=listener.tenant_pk, after=position, upto=newest, limit=REPLAY_PAGE
            )
            if not items:
                break
            scanned += len(items)
            if scanned > REPLAY_MAX_SCANNED:
                conn.enqueue(_resync("too_many", newest))
                conn.covered = max(conn.covered, newest)
                return
            for item in items:
                position = item["seq"]
                # Everything after the client's cursor, except what this socket already sent live before it.
                fresh = conn.live_seqs is None or position not in conn.live_seqs
                audience = Audience.from_list(item["aud"])
                heard = item["text"] and hears_durable(listener, item["kind"], audience, item.get("call"))
                if fresh and heard:
                    conn.enqueue(item["text"])
                    replayed += 1
            await _drained(conn)
        conn.covered = max(conn.covered, newest)
        conn.enqueue(encode({"type": "resumed", "cursor": cursor_text(conn.covered), "replayed": replayed}))
    finally:
        conn.live_seqs = None  # from here on, cursor order alone decides
        conn.release_held()


# --- conversations ------------------------------------------------------------------------------


async def conversation_audience(conn, conversation_id: str) -> Audience | None:
    """The conversation's audience, cached on the socket for a few seconds (assignments change)."""
    cached = conn.audiences.get(conversation_id)
    now = time.monotonic()
    if cached is not None and now - cached[1] < AUDIENCE_TTL:
        return cached[0]
    found = await db(conversation_audiences)(tenant_id=conn.listener.tenant_pk, conversation_ids=[conversation_id])
    audience = found.get(conversation_id)
    if len(conn.audiences) > MAX_SUBSCRIPTIONS:
        conn.audiences.clear()
    conn.audiences[conversation_id] = (audience, now)
    return audience


async def _readable(conn, frame: dict) -> tuple[str, Audience]:
    conversation_id = protocol.conversation_id(frame)
    audience = await conversation_audience(conn, conversation_id)
    if audience is None or not may_read(conn.listener, audience):
        raise FrameError(ErrorCode.NOT_FOUND, "Conversation not found.", request_id=protocol.request_id(frame))
    return conversation_id, audience


async def subscribe(conn, frame: dict) -> None:
    conversation_id, _ = await _readable(conn, frame)
    rid = protocol.request_id(frame)
    if conversation_id not in conn.subscriptions and len(conn.subscriptions) >= MAX_SUBSCRIPTIONS:
        raise FrameError(
            ErrorCode.VALIDATION_FAILED, f"At most {MAX_SUBSCRIPTIONS} subscriptions per socket.", request_id=rid
        )
    conn.subscriptions.add(conversation_id)
    conn.push(encode(ack_frame("subscribed", conversation_id, rid)))


async def unsubscribe(conn, frame: dict) -> None:
    conversation_id = protocol.conversation_id(frame)
    conn.subscriptions.discard(conversation_id)
    conn.push(encode(ack_frame("unsubscribed", conversation_id, protocol.request_id(frame))))


def _sender(conn) -> dict:
    return {"kind": conn.listener.kind, "id": conn.listener.subject}


async def typing(conn, frame: dict) -> None:
    conversation_id, audience = await _readable(conn, frame)
    is_typing = protocol.boolean(frame, "isTyping")
    now = time.monotonic()
    sent = conn.typing_sent.get(conversation_id) or []  # [(time, state)] of the last relayed, newest last
    if sent and sent[-1][1] == is_typing and now - sent[-1][0] < TYPING_REPEAT_SECONDS:
        return  # throttled: the same state again within half a second
    if len(sent) >= TYPING_PER_SECOND and now - sent[-TYPING_PER_SECOND][0] < 1.0:
        return  # throttled: two already relayed within the last second
    if len(conn.typing_sent) > MAX_SUBSCRIPTIONS:
        conn.typing_sent.clear()
    conn.typing_sent[conversation_id] = [*sent[-(TYPING_PER_SECOND - 1) :], (now, is_typing)]
    body = {"type": "typing", "conversationId": conversation_id, "isTyping": is_typing, "sender": _sender(conn)}
    await signal_publish(
        tenant_pk=conn.listener.tenant_pk, rule="typing", frame=body, audience=audience, sender=conn.principal_key
    )


# --- presence -----------------------------------------------------------------------------------


def _presence_set(listener: Listener, status: str) -> dict:
    agent = User.objects.select_related("tenant").get(pk=listener.agent_pk)
    return dict(PresenceOutput(agent_presence_update(tenant=agent.tenant, agent=agent, status=status)).data)


async def presence(conn, frame: dict) -> None:
    if conn.listener.kind != "agent":
        raise FrameError(ErrorCode.PERMISSION_DENIED, "Only agents have a presence.")
    status = protocol.presence_status(frame)
    payload = await db(_presence_set)(conn.listener, status)
    await registry().presence_track(conn.listener.agent_pk)
    await signal_publish(tenant_pk=conn.listener.tenant_pk, rule="presence", frame={"type": "presence", **payload})


def _presence_offline(agent_pk: int) -> tuple[int, dict] | None:
    agent = User.objects.filter(pk=agent_pk).select_related("tenant").first()
    if (
        agent is None
        or not AgentPresence.objects.filter(agent=agent).exclude(status=AgentPresenceStatus.OFFLINE).exists()
    ):
        return None
    presence = agent_presence_update(tenant=agent.tenant, agent=agent, status=AgentPresenceStatus.OFFLINE)
    return agent.tenant_id, dict(PresenceOutput(presence).data)


async def _went_offline(agent_pk: int) -> None:
    changed = await db(_presence_offline)(agent_pk)
    await registry().presence_untrack(agent_pk)
    if changed is not None:
        tenant_pk, payload = changed
        await signal_publish(tenant_pk=tenant_pk, rule="presence", frame={"type": "presence", **payload})


async def presence_sweep() -> None:
    """Agents whose presence the gateway drives and who have no live socket anywhere go offline (their
    gateway process died without closing them: its registry entries lapsed)."""
    for agent_pk in await registry().presence_tracked():
        if not await registry().count(agent_key(agent_pk)):
            await _went_offline(agent_pk)


async def disconnected(conn) -> None:
    """When an agent's last socket (in any process) closes, the agent is offline: ``humanFallbackAvailable``
    and the console's presence column follow the sockets, not a setting someone forgot to clear."""
    listener = conn.listener
    if listener.kind == "agent" and not await registry().count(agent_key(listener.agent_pk)):
        await _went_offline(listener.agent_pk)


# --- call signalling --------------------------------------------------------------------------------


def _call_actor(listener: Listener) -> CallActor:
    if listener.kind == "visitor":
        return CallActor(
            kind=CallActorKind.VISITOR,
            visitor=Visitor.objects.select_related("tenant").get(pk=listener.visitor_pk),
            call_session_id=listener.call_session_id or None,  # the call-bound credential: that call only
        )
    if listener.kind == "agent":
        return CallActor(kind=CallActorKind.AGENT, user=User.objects.get(pk=listener.agent_pk))
    raise ApiError(ErrorCode.CALL_SESSION_NOT_FOUND, "Call session not found.", status=404)


def _call_audience(listener: Listener, call_session_id: str, hangup_reason: str | None, hangup: bool) -> Audience:
    """The audience of a call the listener takes part in (the REST rule of ``call_session_get``); a hangup
    also ends the call session (idempotent; a call that never connected stays as it is)."""
    tenant = Tenant.objects.get(pk=listener.tenant_pk)
    actor = _call_actor(listener)
    call = call_session_get(tenant=tenant, actor=actor, call_session_id=call_session_id)
    if hangup:
        with contextlib.suppress(ApiError):  # a missed or failed call: nothing to end
            call_session_end(tenant=tenant, actor=actor, call_session_id=call_session_id, reason=hangup_reason)
    found = conversation_audiences(tenant_id=tenant.pk, conversation_ids=[call.conversation.public_id])
    return found[call.conversation.public_id]


def _voice_session_end(listener: Listener, session_id: str) -> dict:
    """A visitor's hangup of its AI voice call ends the server-side voice session (metered now, not at the
    cap): ``apps.ai.voice_services.voice_session_end``, once, however many hangups arrive."""
    visitor = Visitor.objects.select_related("tenant").get(pk=listener.visitor_pk)
    session = voice_session_get(tenant=visitor.tenant, visitor=visitor, session_id=session_id)
    session = voice_session_end(session_id=session.public_id, reason=VoiceEndReason.ENDED)
    return {
        "type": "ai.voice.ended",
        "sessionId": session.public_id,
        "durationSeconds": session.duration_seconds,
        "billedSeconds": session.billed_seconds,
    }


async def call_signal(conn, frame: dict) -> None:
    relayed = protocol.call_signal(frame)
    hangup = frame["type"] == "call.hangup"
    bound = conn.listener.call_session_id
    if bound and relayed["callSessionId"] != bound:
        raise FrameError(ErrorCode.CALL_SESSION_NOT_FOUND, "Call session not found.")
    if hangup and conn.listener.kind == "visitor" and relayed["callSessionId"].startswith(AI_VOICE_PREFIX):
        try:
            ended = await db(_voice_session_end)(conn.listener, relayed["callSessionId"])
        except ApiError as exc:
            raise FrameError(ErrorCode.CALL_SESSION_NOT_FOUND, "Call session not found.") from exc
        conn.push(encode(ended))
        return
    try:
        audience = await db(_call_audience)(conn.listener, relayed["callSessionId"], relayed.get("reason"), hangup)
    except ApiError as exc:
        raise FrameError(ErrorCode.CALL_SESSION_NOT_FOUND, "Call session not found.") from exc
    body = {"type": frame["type"], **relayed, "sender": _sender(conn)}
    await signal_publish(
        tenant_pk=conn.listener.tenant_pk,
        rule="call",
        frame=body,
        audience=audience,
        sender=conn.principal_key,
        call=relayed["callSessionId"],
    )


_HANDLERS = {
    "resume": resume,
    "subscribe": subscribe,
    "unsubscribe": unsubscribe,
    "typing": typing,
    "presence": presence,
}
