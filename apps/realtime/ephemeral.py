"""Ephemeral frames (typing, presence, call signalling, AI streaming): never stored, sent once through the
tenant's channel-layer group; each gateway process's feed picks the sockets (``feed.hears_signal``)."""

from __future__ import annotations

import time

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from .durable import tenant_group
from .protocol import encode
from .topics import Audience, conversation_audiences

SIGNAL_MESSAGE = "rt.signal"


async def signal_publish(
    *, tenant_pk: int, rule: str, frame: dict, audience: Audience | None = None, sender="", call: str | None = None
):
    """Sends an ephemeral frame (never stored) to the tenant's group; ``hears_signal`` picks the sockets
    (``call``: the call session a call signal is about)."""
    message = {
        "type": SIGNAL_MESSAGE,
        "t": tenant_pk,
        "rule": rule,
        "aud": audience.as_list() if audience else None,
        "from": sender,
        "text": encode(frame),
        "call": call,
    }
    await get_channel_layer().group_send(tenant_group(tenant_pk), message)


signal_publish_sync = async_to_sync(signal_publish)


_stream_audiences: dict[tuple[int, str], tuple[Audience | None, float]] = {}
STREAM_AUDIENCE_TTL = 10.0


def _stream_audience(tenant_pk: int, conversation_id: str) -> Audience | None:
    """The audience of a streamed reply's conversation, read once per few seconds (not once per piece)."""
    key, now = (tenant_pk, conversation_id), time.monotonic()
    cached = _stream_audiences.get(key)
    if cached is None or now - cached[1] > STREAM_AUDIENCE_TTL:
        if len(_stream_audiences) > 1000:
            _stream_audiences.clear()
        found = conversation_audiences(tenant_id=tenant_pk, conversation_ids=[conversation_id])
        cached = _stream_audiences[key] = (found.get(conversation_id), now)
    return cached[0]


def ai_stream_sink(event) -> None:
    """``apps.ai.streaming``'s sink: each piece as ``ai.delta``, the end as ``ai.done``, to the conversation's
    participants (its visitor and the agents that have it open)."""
    frame = {"type": f"ai.{event.kind}", "conversationId": event.conversation_id, "messageId": event.message_id}
    if event.kind == "delta":
        frame.update(seq=event.seq, delta=event.delta)
    else:
        frame.update({key: value for key, value in (("message", event.message), ("error", event.error)) if value})
    audience = _stream_audience(event.tenant_id, event.conversation_id)
    signal_publish_sync(tenant_pk=event.tenant_id, rule="ai", frame=frame, audience=audience)
