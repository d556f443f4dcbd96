"""SIGTERM drains (issue 21): a delivery in flight when the worker is told to stop is completed,
recorded once and acknowledged; nothing is sent again as another attempt, nothing is left behind.

A real worker process on the Redis broker and a receiver that takes 3 s to answer: the signal comes
while the request is in flight. ``prefork`` is signalled the way ``systemctl stop`` does it (the
whole process group: the pool processes get SIGTERM too), ``solo`` (the benchmark's pool) in its
main process.
"""

import os
import signal

import pytest
import redis
from django.conf import settings

from apps.webhooks.events import event_emit
from apps.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery
from apps.webhooks.tests.factories import endpoint_make, webhook_tenant
from apps.webhooks.tests.receiver import Receiver, Reply
from apps.webhooks.tests.worker import start_worker
from ringnity.testing.servers import stop_process


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("pool", "whole_group"), [("prefork", True), ("solo", False)])
def test_sigterm_lets_the_delivery_in_flight_finish_once(loopback, pool, whole_group):
    tenant = webhook_tenant()
    worker = start_worker(pool=pool, concurrency=2, timeout_seconds=10)
    try:
        with Receiver(default=Reply(200, b"ok", sleep=3)) as receiver:
            endpoint_make(tenant, url=receiver.url, events=["contact.created"])
            event_emit(tenant=tenant, event_type="contact.created", payload={"id": "con_1"})  # autocommit: sent now
            receiver.wait_for(1, timeout=90)  # the request is at the receiver, the answer 3 s away
            if whole_group:
                os.killpg(worker.pid, signal.SIGTERM)
            else:
                worker.send_signal(signal.SIGTERM)
            exit_code = worker.wait(timeout=60)
            requests = list(receiver.requests)
    finally:
        stop_process(worker)
    output = worker.stdout.read()
    assert exit_code == 0, output
    (row,) = WebhookDelivery.objects.all()
    assert (row.status, row.attempt_count, row.locked_until) == (DeliveryStatus.DELIVERED, 1, None), output
    assert list(WebhookAttempt.objects.values_list("number", "status")) == [(1, DeliveryStatus.DELIVERED)]
    assert len(requests) == 1
    broker = redis.Redis.from_url(settings.REDIS_URL)
    assert (broker.llen("webhooks"), broker.hlen("unacked")) == (0, 0)  # acknowledged: never run again
