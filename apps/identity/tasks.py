from celery import shared_task

from apps.identity.sessions import session_records_prune


@shared_task(name="identity.prune_session_records", autoretry_for=(Exception,), retry_backoff=60, max_retries=3)
def prune_session_records() -> dict[str, int]:
    """Idempotent: deleting what is already gone deletes nothing."""
    return session_records_prune()
