"""End to end: real API calls emit events, a real Celery worker process delivers them from the Redis
broker to loopback receivers, and every request is verified with the `standardwebhooks` package.

Needs PostgreSQL (the worker process reads the test database) and Redis (the broker); without them
it skips locally and fails under CI=true.
"""

import time

import pytest
from standardwebhooks.webhooks import Webhook

from apps.chat.tests.chat_fixtures import CHAT_FEATURES, send_message, start_conversation, visitor_headers
from apps.developer.tests.factories import ServerApiKeyFactory, server_key_headers
from apps.runtime.tests.fixtures import ready_tenant
from apps.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery
from apps.webhooks.tests.receiver import Receiver, Reply
from apps.webhooks.tests.worker import start_worker
from ringnity.testing.servers import stop_process

SCOPES = ["server:webhook:read", "server:webhook:write", "server:contacts:write"]


@pytest.fixture
def worker():
    process = start_worker()
    yield process
    stop_process(process)


def _create_endpoint(client, headers, url, events) -> tuple[str, str]:
    response = client.post("/api/server/webhooks", {"url": url, "events": events}, format="json", **headers)
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    return data["webhook"]["id"], data["secret"]


def _verified(secret, requests) -> list[dict]:
    return [Webhook(secret).verify(r.body, r.headers) for r in requests]


def _wait_until(check, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting for the worker")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_signed_events_retries_and_logs_timeouts(api_client, assert_contract, worker, loopback):
    tenant = ready_tenant(
        features={**CHAT_FEATURES, "webhooks": True},
        quotas={"contacts": "unlimited", "webhooks": "unlimited", "attachment_mb": 1},
    )
    headers = server_key_headers(ServerApiKeyFactory(tenant=tenant, scopes=SCOPES))
    with Receiver() as everything, Receiver([Reply(500, b"busy")]) as flaky, Receiver([Reply(200, sleep=3)]) as slow:
        _, all_secret = _create_endpoint(api_client, headers, everything.url, ["*"])
        flaky_id, flaky_secret = _create_endpoint(api_client, headers, flaky.url, ["contact.created"])
        slow_id, slow_secret = _create_endpoint(api_client, headers, slow.url, ["contact.updated"])

        contact = {"externalId": "crm-1", "name": "Ann", "phone": "+14155550100"}
        assert api_client.post("/api/server/contacts", contact, format="json", **headers).status_code == 200
        changed = {**contact, "name": "Ann B"}
        assert api_client.post("/api/server/contacts", changed, format="json", **headers).status_code == 200
        visitor = visitor_headers(tenant)
        conversation = start_conversation(api_client, visitor)
        send_message(api_client, visitor, conversation["conversationId"], body="Hello from the e2e test")

        flaky_requests = flaky.wait_for(2, timeout=60)  # 500, then the retry ~5 s later
        slow_requests = slow.wait_for(2, timeout=60)  # timed out, then the retry
        _wait_until(lambda: WebhookDelivery.objects.filter(status=DeliveryStatus.DELIVERED).count() >= 6)
        time.sleep(1.5)  # nothing more may arrive
        all_requests = list(everything.requests)

    assert worker.poll() is None, worker.stdout.read() if worker.poll() is not None else ""
    received = _verified(all_secret, all_requests)
    types = [body["type"] for body in received]
    assert types[:2] == ["contact.created", "contact.updated"]
    assert "conversation.created" in types
    assert "message.created" in types
    message = next(body for body in received if body["type"] == "message.created")
    assert message["data"]["body"] == "Hello from the e2e test"
    assert all(body["tenantId"] == tenant.public_id for body in received)

    assert len(flaky_requests) == 2
    assert len({r.headers["webhook-id"] for r in flaky_requests}) == 1
    assert _verified(flaky_secret, flaky_requests)[0]["type"] == "contact.created"
    assert flaky_requests[1].at - flaky_requests[0].at >= 3.5  # 5 s ± 20 %
    flaky_attempts = WebhookAttempt.objects.filter(endpoint__public_id=flaky_id).order_by("number")
    assert [(a.number, a.status, a.response_status) for a in flaky_attempts] == [
        (1, "retrying", 500),
        (2, "delivered", 200),
    ]

    assert len({r.headers["webhook-id"] for r in slow_requests}) == 1
    _verified(slow_secret, slow_requests)
    timed_out = WebhookAttempt.objects.get(endpoint__public_id=slow_id, number=1)
    assert timed_out.status == "retrying"  # a failed attempt; the delivery goes on
    assert timed_out.error_message == "timed out after 1 s"
    assert timed_out.response_status is None
    assert 1000 <= timed_out.duration_ms < 2500

    log = api_client.get("/api/server/webhooks/deliveries", {"webhookId": slow_id}, **headers)
    rows = assert_contract(log, "listWebhookDeliveries", status=200)["data"]["deliveries"]
    assert [(r["attempt"], r["status"]) for r in rows] == [(2, "delivered"), (1, "retrying")]
    assert rows[1]["errorMessage"] == "timed out after 1 s"
    assert rows[1]["durationMs"] >= 1000
