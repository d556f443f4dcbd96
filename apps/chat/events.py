"""Chat events (``conversation.*``, ``message.*``) through the webhooks outbox.

``apps.webhooks.events.event_emit`` records the event and its deliveries in the caller's
transaction and sends nothing before that transaction commits; a rolled-back change (a lost
idempotency race, a failed upload) therefore leaves no event. Payloads are the shapes of
``apps.webhooks.catalog`` (the contract's ``Conversation`` / ``Message`` and the read and
delete payloads).
"""

from apps.webhooks.events import event_emit


def emit(*, tenant, event_type: str, payload: dict) -> None:
    event_emit(tenant=tenant, event_type=event_type, payload=payload)
