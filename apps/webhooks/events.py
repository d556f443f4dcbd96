"""The one function domain services call to announce an event (``contact.created``, ...).

``event_emit`` runs inside the caller's transaction: it records the event and one ``pending``
delivery per active endpoint of the tenant subscribed to it (the transactional outbox), and only
*on commit* puts one Celery task per delivery on the ``webhooks`` queue. So a rolled-back
transaction leaves no event, no delivery and no task, and nothing leaves the process inside the
request. If the broker is down at commit, the deliveries are still recorded and the sweep
(``webhooks.enqueue_due``) enqueues them later.

An event that no active endpoint subscribes to (or a tenant whose plan lacks ``webhooks``) is not
stored: nobody could ever receive it, and the table would grow by a row per chat message.
"""

from __future__ import annotations

from django.db import transaction

from apps.plans.entitlements import for_tenant
from apps.webhooks import catalog
from apps.webhooks.delivery import deliveries_create
from apps.webhooks.models import WebhookEndpoint, WebhookEvent
from apps.webhooks.tasks import enqueue


def event_emit(*, tenant, event_type: str, payload: dict) -> WebhookEvent | None:
    """Announces ``event_type`` with ``payload`` (JSON-serialisable) for ``tenant``; the event or None."""
    if not catalog.is_known(event_type) or event_type == catalog.TEST_EVENT:
        raise ValueError(f"unknown webhook event type {event_type!r}: add it to apps.webhooks.catalog")
    if not isinstance(payload, dict):
        raise TypeError("a webhook payload is a dict")
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.for_tenant(tenant).filter(is_active=True).only("id", "events")
        if catalog.subscribes(endpoint.events, event_type)
    ]
    if not endpoints or not for_tenant(tenant).feature_enabled("webhooks"):
        return None
    with transaction.atomic():
        event = WebhookEvent.objects.create(tenant=tenant, event_type=event_type, payload=payload)
        delivery_ids = [d.pk for d in deliveries_create(tenant=tenant, event=event, endpoints=endpoints)]
        transaction.on_commit(lambda: enqueue(delivery_ids), robust=True)
    return event
