"""One deadline for the whole attempt (issue 22, finding 1) and a bounded test send (issue 18).

Real misbehaving receivers on loopback (``ringnity.testing.slow_peers``): one that answers 200 and
then drips the body a byte at a time without ``Content-Length``, one that never answers, one that
sends its headers a byte at a time. Each byte comes well within any per-read timeout; only a
deadline for the whole exchange ends the attempt. The elapsed-time bounds are generous (seconds,
not minutes): what is asserted is the recorded attempt.
"""

import time
from contextlib import ExitStack

import pytest

from apps.webhooks import delivery
from apps.webhooks.events import event_emit
from apps.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery
from apps.webhooks.tests.factories import endpoint_make, webhook_headers, webhook_tenant
from ringnity.testing.slow_peers import SlowPeer, elapsed

pytestmark = pytest.mark.django_db
SLACK = 3.0
TEST = "/api/server/webhooks/test"


@pytest.fixture
def tenant(loopback):
    return webhook_tenant()


@pytest.mark.parametrize("mode", ["drip_body", "silent", "drip_headers"])
def test_an_attempt_ends_at_the_deadline_whatever_the_receiver_does(
    tenant, settings, django_capture_on_commit_callbacks, mode
):
    settings.WEBHOOKS_TIMEOUT_SECONDS = 1
    with SlowPeer(mode, interval=0.25, drip_bytes=40) as peer:  # a 200 after 10 s without a deadline
        endpoint_make(tenant, url=peer.url("/hook"))
        with django_capture_on_commit_callbacks(execute=False):
            event_emit(tenant=tenant, event_type="contact.created", payload={"id": "con_1"})
        row = WebhookDelivery.objects.get()
        started = time.monotonic()
        outcome = delivery.attempt(delivery_id=row.pk, countdown_ok=False)
        took = elapsed(started)
    attempt = WebhookAttempt.objects.get()
    assert (attempt.status, attempt.response_status, attempt.error_message) == (
        DeliveryStatus.RETRYING,
        None,
        "timed out after 1 s",
    )
    assert outcome.attempt.pk == attempt.pk
    assert attempt.duration_ms < (1 + SLACK) * 1000
    assert took < 1 + SLACK


def test_a_test_send_to_slow_receivers_answers_within_its_bound(api_client, assert_contract, tenant):
    """Three receivers that never answer: the test send answers in about 5 s, not 3 x 10 s."""
    with ExitStack() as stack:
        peers = [stack.enter_context(SlowPeer("silent")) for _ in range(3)]
        for peer in peers:
            endpoint_make(tenant, url=peer.url("/hook"))
        started = time.monotonic()
        response = api_client.post(TEST, format="json", **webhook_headers(tenant))
        took = elapsed(started)
    assert took < 5 + SLACK
    data = assert_contract(response, "testWebhook", status=200)["data"]
    assert {r["errorMessage"] for r in data["results"]} == {"timed out after 5 s"}
    assert (data["sent"], data["delivered"], data["queued"]) == (3, 0, 0)
    assert all(peer.connections == 1 for peer in peers)


def test_a_test_send_beyond_ten_endpoints_queues_the_rest(
    api_client, assert_contract, tenant, django_capture_on_commit_callbacks
):
    from apps.webhooks.tests.receiver import Receiver

    with Receiver() as receiver:
        for _ in range(12):
            endpoint_make(tenant, url=receiver.url)
        with django_capture_on_commit_callbacks(execute=False):  # the queued two are not run in-process
            response = api_client.post(TEST, format="json", **webhook_headers(tenant))
        data = assert_contract(response, "testWebhook", status=200)["data"]
        assert len(receiver.requests) == 10
    assert (data["sent"], data["delivered"], data["queued"]) == (10, 10, 2)
    waiting = [r for r in data["results"] if r["attempt"] == 0]
    assert [r["status"] for r in waiting] == ["pending", "pending"]
    assert WebhookDelivery.objects.filter(status="pending").count() == 2
