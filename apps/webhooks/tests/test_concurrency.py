"""Parallel tasks for one delivery send it once; parallel creates respect the quota (PostgreSQL, real threads)."""

import threading

import pytest
from django.db import close_old_connections, connection

from apps.webhooks import delivery, services
from apps.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from apps.webhooks.tests.factories import endpoint_make, webhook_tenant
from apps.webhooks.tests.receiver import Receiver, Reply
from ringnity.api.errors import ApiError
from ringnity.testing.ci import require_postgresql

WORKERS = 8


def _parallel(work) -> list:
    barrier = threading.Barrier(WORKERS)
    results, errors = [], []

    def run(index):
        try:
            barrier.wait(timeout=10)
            results.append(work(index))
        except Exception as exc:  # reported by the assertion of the caller
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_eight_workers_running_one_delivery_send_it_once(settings):
    require_postgresql()
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    tenant = webhook_tenant()
    with Receiver(default=Reply(200, sleep=0.3)) as receiver:
        endpoint_make(tenant, url=receiver.url)
        event = WebhookEvent.objects.create(tenant=tenant, event_type="contact.created", payload={"id": "con_1"})
        (row,) = delivery.deliveries_create(tenant=tenant, event=event, endpoints=list(WebhookEndpoint.objects.all()))
        results, errors = _parallel(lambda _: delivery.attempt(delivery_id=row.pk, countdown_ok=False))
        assert not errors, errors
        assert len(receiver.requests) == 1
    assert sum(outcome is not None for outcome in results) == 1
    assert WebhookAttempt.objects.count() == 1
    assert WebhookDelivery.objects.get().status == "delivered"


@pytest.mark.django_db(transaction=True)
def test_parallel_creates_never_exceed_the_quota():
    require_postgresql()
    tenant = webhook_tenant(quota=3)
    results, errors = _parallel(
        lambda i: services.endpoint_create(tenant=tenant, url=f"https://hooks.example.com/{i}", events=["*"])
    )
    assert len(results) == 3
    assert len(errors) == WORKERS - 3
    assert all(isinstance(e, ApiError) and e.status == 409 for e in errors)
    assert WebhookEndpoint.objects.for_tenant(tenant).count() == 3
