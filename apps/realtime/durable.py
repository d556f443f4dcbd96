"""Durable events on the gateway: the frame of a logged event, publishing it after commit, reading it back.

``publish_committed`` is the realtime outlet of the event log (``apps.webhooks.events``): it gets the
newly numbered events of one tenant after their commit and sends them, as one channel-layer message,
to the tenant's group, which every gateway process holding a socket of that tenant has joined. The
same ``items`` are built for the live path and for every read back from the database (resume, gap
repair), so a replayed frame is byte for byte the live one.

An item is ``{"seq", "kind", "text", "aud", "call"}``: the cursor, the event type, the encoded frame (None
for events no socket hears, e.g. ``contact.*``: they still travel so the cursor stays gap-free), the
``Audience`` as a list, and for ``call.*`` the call session's id (a call-bound socket hears that call only).
"""

from __future__ import annotations

from apps.webhooks.delivery import event_document
from apps.webhooks.events import events_after, latest_seq
from apps.webhooks.models import WebhookEvent

from .protocol import cursor_text, encode
from .publisher import send_later
from .topics import ADMIN_EVENTS, CALL_EVENTS, event_audiences

DURABLE_PREFIXES = ("message.", *ADMIN_EVENTS)
DURABLE_MESSAGE = "rt.durable"


def is_durable(event_type: str) -> bool:
    """The event types the gateway delivers (and so the event log keeps even with no webhook endpoint)."""
    return event_type.startswith(DURABLE_PREFIXES)


def tenant_group(tenant_pk: int) -> str:
    return f"rt.t{tenant_pk}"


def durable_items(events: list[WebhookEvent]) -> list[dict]:
    """The items of numbered events of one tenant, in the order given."""
    if not events:
        return []
    audiences = event_audiences(tenant_id=events[0].tenant_id, events=events)
    items = []
    for event, audience in zip(events, audiences, strict=True):
        heard = audience is not None and is_durable(event.event_type)
        items.append(
            {
                "seq": event.seq,
                "kind": event.event_type,
                "text": encode(event_document(event, event.tenant) | {"cursor": cursor_text(event.seq)})
                if heard
                else None,
                "aud": audience.as_list() if heard else None,
                "call": event.payload.get("id") if heard and event.event_type.startswith(CALL_EVENTS) else None,
            }
        )
    return items


def publish_committed(events: list[WebhookEvent]) -> None:
    """The outlet: one ``group_send`` per call (the events of one tenant, numbered together), sent in the
    background (``apps.realtime.publisher``): the request that committed them does not wait for Redis."""
    items = durable_items(events)
    if items:
        message = {"type": DURABLE_MESSAGE, "t": events[0].tenant_id, "events": items}
        send_later(tenant_group(events[0].tenant_id), message)


def items_after(*, tenant_id: int, after: int, upto: int | None = None, limit: int = 500) -> list[dict]:
    """Items read back from the event log (resume, gap repair): ``after < seq <= upto``, in order."""
    return durable_items(events_after(tenant_id=tenant_id, after=after, upto=upto, limit=limit))


def cursor_window(*, tenant_id: int) -> tuple[int, int]:
    """``(newest cursor, oldest replayable cursor)`` of the tenant."""
    return latest_seq(tenant_id=tenant_id)
