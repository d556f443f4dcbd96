from celery import shared_task
from django.db import DatabaseError

from apps.idempotency.services import idempotency_records_purge


@shared_task(
    name="idempotency.purge", ignore_result=True, autoretry_for=(DatabaseError,), retry_backoff=60, max_retries=3
)
def idempotency_purge() -> int:
    """Beat, hourly: deletes Idempotency-Key records past their 24 hours (a repeat run deletes nothing)."""
    return idempotency_records_purge()
