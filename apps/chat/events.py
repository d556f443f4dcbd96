"""Chat events go out after the transaction that caused them commits (never for a rollback)."""

from django.db import transaction

from apps.webhooks.events import event_emit


def emit_on_commit(*, tenant, event_type: str, payload: dict) -> None:
    transaction.on_commit(lambda: event_emit(tenant=tenant, event_type=event_type, payload=payload))
