"""Celery tasks of the billing app: idempotent sweeps run by beat."""

from celery import shared_task

from apps.billing.hold_services import ai_holds_release_expired


@shared_task(name="billing.release_expired_holds", autoretry_for=(Exception,), retry_backoff=30, max_retries=3)
def release_expired_holds() -> int:
    """Every minute: gives back holds whose call neither settled nor released them (a worker died)."""
    return ai_holds_release_expired()
