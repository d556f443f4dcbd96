"""Ephemeral frames (typing, presence, call signalling, AI streaming): never stored, sent once through the
tenant's channel-layer group; each gateway process's feed picks the sockets (``feed.hears_signal``)."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from .durable import tenant_group
from .protocol import encode
from .topics import Audience

SIGNAL_MESSAGE = "rt.signal"


async def signal_publish(*, tenant_pk: int, rule: str, frame: dict, audience: Audience | None = None, sender=""):
    """Sends an ephemeral frame (never stored) to the tenant's group; ``hears_signal`` picks the sockets."""
    message = {
        "type": SIGNAL_MESSAGE,
        "t": tenant_pk,
        "rule": rule,
        "aud": audience.as_list() if audience else None,
        "from": sender,
        "text": encode(frame),
    }
    await get_channel_layer().group_send(tenant_group(tenant_pk), message)


signal_publish_sync = async_to_sync(signal_publish)
