"""Celery tasks of the ``webhooks`` queue. Both are idempotent: a duplicate run sends nothing twice."""

import signal
import threading
from contextlib import contextmanager
from datetime import timedelta

from billiard.process import current_process
from celery import current_app, shared_task
from django.conf import settings
from django.db import DatabaseError

from apps.webhooks import delivery, events

QUEUE = "webhooks"


@contextmanager
def sigterm_waits_in_pool_process():
    """In a prefork pool process, SIGTERM is ignored while a batch is claimed, sent and recorded.

    ``systemctl stop`` (and anything else that signals the whole process group) sends SIGTERM to
    the pool processes as well as to the worker; by default a pool process dies at once, mid-send,
    and its deliveries would wait for their lease and be sent again as another attempt. Ignoring
    it for the batch lets the attempt finish and be recorded; the worker (which got SIGTERM too)
    then stops the pool process after its task, as a warm shutdown does. The main process of a
    ``solo`` worker keeps Celery's own handler, which already waits for the running task.
    """
    pool_process = current_process().name != "MainProcess" and threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN) if pool_process else None
    try:
        yield
    finally:
        if pool_process:
            signal.signal(signal.SIGTERM, previous)


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
def webhook_deliver(self, delivery_ids: list[int] | int) -> None:
    """One attempt of each delivery that is due and neither delivered nor being sent, in parallel
    (``apps.webhooks.delivery.attempt_many``; a single id is accepted too).

    A near retry (≤ 10 min) is enqueued here with a countdown, one task per delivery; later ones
    by the sweep. In eager mode (the embedded default, no broker) a countdown would run at once, so
    retries wait for the sweep.
    """
    ids = [delivery_ids] if isinstance(delivery_ids, int) else list(delivery_ids)
    with sigterm_waits_in_pool_process():
        outcomes = delivery.attempt_many(delivery_ids=ids, countdown_ok=not self.request.is_eager)
    for outcome in outcomes:
        if outcome.retry_in is not None:
            webhook_deliver.apply_async(args=[[outcome.attempt.delivery_id]], countdown=outcome.retry_in, queue=QUEUE)


@shared_task(name="webhooks.enqueue_due", ignore_result=True)
def webhooks_enqueue_due() -> int:
    """Beat, every minute: enqueues due retries beyond the countdown horizon and lost tasks."""
    due = delivery.due_delivery_ids()
    enqueue(due)
    return len(due)


def enqueue(delivery_ids: list[int]) -> None:
    """Tasks on the ``webhooks`` queue for ``delivery_ids``, ``BATCH_MAX`` deliveries each (an event's
    deliveries go out together), published over one broker connection; call it on commit."""
    if not delivery_ids:
        return
    size = delivery.BATCH_MAX
    with current_app.producer_or_acquire() as producer:
        for start in range(0, len(delivery_ids), size):
            webhook_deliver.apply_async(args=[delivery_ids[start : start + size]], queue=QUEUE, producer=producer)


@shared_task(name="webhooks.sequence_events", ignore_result=True)
def webhooks_sequence_events() -> int:
    """Beat, every minute: numbers and publishes events whose own after-commit step never ran."""
    return events.events_publish_stragglers()


@shared_task(name="webhooks.prune", ignore_result=True, autoretry_for=(DatabaseError,), retry_backoff=60, max_retries=3)
def webhooks_prune() -> int:
    """Beat, daily: the delivery log keeps ``WEBHOOKS_RETENTION_DAYS`` (30) days of finished deliveries, the
    event log ``EVENTS_RETENTION_DAYS`` (7) days of events no delivery refers to (the realtime resume window)."""
    return delivery.deliveries_prune(
        older_than=timedelta(days=settings.WEBHOOKS_RETENTION_DAYS),
        events_older_than=timedelta(days=settings.EVENTS_RETENTION_DAYS),
    )
