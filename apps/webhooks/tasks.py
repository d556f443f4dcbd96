"""Celery tasks of the ``webhooks`` queue. Both are idempotent: a duplicate run sends nothing twice."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError

from apps.webhooks import delivery

QUEUE = "webhooks"


@shared_task(
    bind=True,
    name="webhooks.deliver",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=5,
    max_retries=5,
)
def webhook_deliver(self, delivery_id: int) -> None:
    """One attempt of one delivery if it is due and neither delivered nor being sent (``apps.webhooks.delivery``).

    A near retry (≤ 10 min) is enqueued here with a countdown; later ones by the sweep. In eager mode
    (the embedded default, no broker) a countdown would run at once, so retries wait for the sweep.
    """
    outcome = delivery.attempt(delivery_id=delivery_id, countdown_ok=not self.request.is_eager)
    if outcome is not None and outcome.retry_in is not None:
        webhook_deliver.apply_async(args=[delivery_id], countdown=outcome.retry_in, queue=QUEUE)


@shared_task(name="webhooks.enqueue_due", ignore_result=True)
def webhooks_enqueue_due() -> int:
    """Beat, every minute: enqueues due retries beyond the countdown horizon and lost tasks."""
    due = delivery.due_delivery_ids()
    enqueue(due)
    return len(due)


def enqueue(delivery_ids: list[int]) -> None:
    """One task per delivery on the ``webhooks`` queue; call it on commit."""
    for delivery_id in delivery_ids:
        webhook_deliver.apply_async(args=[delivery_id], queue=QUEUE)


@shared_task(name="webhooks.prune", ignore_result=True, autoretry_for=(DatabaseError,), retry_backoff=60, max_retries=3)
def webhooks_prune() -> int:
    """Beat, daily: the delivery log keeps ``WEBHOOKS_RETENTION_DAYS`` (30) days of finished deliveries."""
    days = getattr(settings, "WEBHOOKS_RETENTION_DAYS", 30)
    return delivery.deliveries_prune(older_than=timedelta(days=days))
