"""The one function domain services call to announce an event (``contact.created``, ...).

Placeholder until the webhooks issue lands: it accepts the event and does nothing.
The webhooks issue replaces the body (record the event, enqueue one delivery per
subscribed endpoint with ``transaction.on_commit``) without changing the signature,
so every caller already emits the right events today.
"""


def event_emit(*, tenant, event_type: str, payload: dict) -> None:
    """Announces ``event_type`` with ``payload`` for ``tenant``. Currently a documented no-op."""
    return None
