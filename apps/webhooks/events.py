"""The one function domain services call to announce an event (``contact.created``, ...), and the event log.

``event_emit`` runs inside the caller's transaction: it records the event (one ``WebhookEvent`` row)
and one ``pending`` delivery per active endpoint of the tenant subscribed to it (the transactional
outbox). A rolled-back transaction leaves no event, no delivery and no task, and nothing leaves the
process inside the request. An event is stored when an endpoint subscribes to it or an *outlet* logs
its type (the realtime gateway logs every ``message.*``, ``conversation.*`` and ``call.*``); any other
event is not stored: nobody could ever receive it.

**After commit** the stored events are numbered and handed to the outlets (one pipeline, two outlets:
the webhook outbox's Celery tasks and whatever ``register_outlet`` added):

* *Numbering* (``events_sequence``): a short transaction of its own locks the tenant's
  ``EventSequence`` row and gives every committed, not yet numbered event of the tenant the next
  ``seq`` (1, 2, 3, ... in id order). Numbering after commit, instead of under a lock held by the
  caller's transaction, keeps the lock a few milliseconds long and outside every other lock a service
  takes (no deadlock, no tenant-wide stall behind a slow transaction), while keeping what a cursor
  needs: the numbering is gap-free (only committed rows are numbered) and its order is the commit
  order of the numbering transactions, so a reader that has ``seq`` N committed has every ``seq`` < N
  committed too. An event whose process died between its commit and its numbering is numbered by
  the tenant's next event or by the beat task ``webhooks.sequence_events`` (every minute).
* *Outlets* get the newly numbered events, in ``seq`` order, after the numbering committed.

If the broker is down at commit, the deliveries are still recorded and the sweep
(``webhooks.enqueue_due``) enqueues them later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from apps.plans.entitlements import for_tenant
from apps.webhooks import catalog, statements, tasks
from apps.webhooks.delivery import deliveries_create
from apps.webhooks.models import EventSequence, WebhookEndpoint, WebhookEvent

logger = logging.getLogger(__name__)
SEQUENCE_BATCH = 1000


@dataclass(frozen=True)
class Outlet:
    """A consumer of the event log: ``logs(event_type)`` says which types it needs stored even when no
    endpoint subscribes; ``publish(events)`` gets newly numbered events after commit (never raises into
    the caller: failures are logged, and the outlet's readers repair from the log)."""

    name: str
    logs: Callable[[str], bool]
    publish: Callable[[list[WebhookEvent]], None]


_outlets: dict[str, Outlet] = {}


def register_outlet(outlet: Outlet) -> None:
    """Call from ``AppConfig.ready()``; a later registration with the same name replaces the earlier one."""
    _outlets[outlet.name] = outlet


def _logged(event_type: str) -> bool:
    return any(outlet.logs(event_type) for outlet in _outlets.values())


def event_emit(*, tenant, event_type: str, payload: dict) -> WebhookEvent | None:
    """Announces ``event_type`` with ``payload`` for ``tenant``; the event or None.

    ``payload`` is the event's ``data``, rendered by the serializer the type is registered with:
    ``catalog.event_data(event_type, instance)``.
    """
    if not catalog.is_known(event_type) or event_type == catalog.TEST_EVENT:
        raise ValueError(f"unknown webhook event type {event_type!r}: register it with apps.webhooks.catalog")
    if not isinstance(payload, dict):
        raise TypeError("a webhook payload is a dict")
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.for_tenant(tenant).filter(is_active=True).only("id", "events")
        if catalog.subscribes(endpoint.events, event_type)
    ]
    if endpoints and not for_tenant(tenant).feature_enabled("webhooks"):
        endpoints = []
    if not endpoints and not _logged(event_type):
        return None
    with transaction.atomic(savepoint=False):  # inside the caller's transaction no savepoint: two round trips less
        event = WebhookEvent.objects.create(tenant=tenant, event_type=event_type, payload=payload)
        if endpoints:
            delivery_ids = [d.pk for d in deliveries_create(tenant=tenant, event=event, endpoints=endpoints)]
            transaction.on_commit(lambda: tasks.enqueue(delivery_ids), robust=True)
        tenant_id = tenant.pk
        transaction.on_commit(lambda: events_publish(tenant_id=tenant_id), robust=True)
    return event


def events_sequence(*, tenant_id: int) -> list[WebhookEvent]:
    """Numbers the tenant's committed, unnumbered events (see the module docstring); the numbered ones."""
    if not WebhookEvent.objects.filter(tenant_id=tenant_id, seq__isnull=True).exists():
        return []  # the usual case for all but the first callback of a transaction: no lock taken
    if connection.vendor == "postgresql":  # two statements instead of five (statements.number_pending)
        with transaction.atomic():
            return statements.number_pending(tenant_id=tenant_id, batch=SEQUENCE_BATCH)
    with transaction.atomic():
        EventSequence.objects.bulk_create([EventSequence(tenant_id=tenant_id)], ignore_conflicts=True)
        sequence = EventSequence.objects.select_for_update().get(tenant_id=tenant_id)
        pending = list(
            WebhookEvent.objects.filter(tenant_id=tenant_id, seq__isnull=True)
            .select_related("tenant")
            .order_by("id")[:SEQUENCE_BATCH]
        )
        for event in pending:
            sequence.last_seq += 1
            event.seq = sequence.last_seq
        WebhookEvent.objects.bulk_update(pending, ["seq"])
        sequence.save(update_fields=["last_seq"])
    return pending


def events_publish(*, tenant_id: int) -> int:
    """Numbers what is pending for the tenant and hands it to every outlet; how many events."""
    total = 0
    while events := events_sequence(tenant_id=tenant_id):
        total += len(events)
        for outlet in list(_outlets.values()):
            try:
                outlet.publish(events)
            except Exception:  # an outlet's failure never reaches the caller; its readers repair from the log
                logger.exception("event outlet %s failed for %d events", outlet.name, len(events))
        if len(events) < SEQUENCE_BATCH:
            break
    return total


def events_publish_stragglers(*, older_than: timedelta = timedelta(seconds=10)) -> int:
    """Numbers and publishes events whose own after-commit step never ran (a process died); how many."""
    cutoff = timezone.now() - older_than
    tenants = (
        WebhookEvent.objects.cross_tenant()
        .filter(seq__isnull=True, created_at__lt=cutoff)
        .values_list("tenant_id", flat=True)
        .distinct()
    )
    return sum(events_publish(tenant_id=tenant_id) for tenant_id in list(tenants))


def latest_seq(*, tenant_id: int) -> tuple[int, int]:
    """``(last_seq, floor_seq)`` of the tenant: the newest cursor and the oldest one that can be replayed."""
    row = EventSequence.objects.filter(tenant_id=tenant_id).values_list("last_seq", "floor_seq").first()
    return row or (0, 0)


def latest_seqs(*, tenant_ids) -> dict[int, int]:
    """The newest cursor of each tenant (one query)."""
    return dict(EventSequence.objects.filter(tenant_id__in=list(tenant_ids)).values_list("tenant_id", "last_seq"))


def events_after(*, tenant_id: int, after: int, upto: int | None = None, limit: int = 500) -> list[WebhookEvent]:
    """Numbered events of the tenant with ``after < seq <= upto``, in ``seq`` order, at most ``limit``."""
    events = WebhookEvent.objects.filter(tenant_id=tenant_id, seq__gt=after)
    if upto is not None:
        events = events.filter(seq__lte=upto)
    return list(events.select_related("tenant").order_by("seq")[:limit])
