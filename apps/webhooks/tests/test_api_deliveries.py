"""Server API: the delivery log (filters, order, query count) and test sends."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from standardwebhooks.webhooks import Webhook

from apps.webhooks.events import event_emit
from apps.webhooks.models import WebhookAttempt, WebhookDelivery
from apps.webhooks.tests.factories import endpoint_make, webhook_headers, webhook_tenant
from apps.webhooks.tests.receiver import Receiver, Reply

pytestmark = pytest.mark.django_db
DELIVERIES = "/api/server/webhooks/deliveries"
TEST = "/api/server/webhooks/test"


@pytest.fixture
def tenant(loopback):
    return webhook_tenant()


@pytest.fixture
def headers(tenant):
    return webhook_headers(tenant)


def _emit(tenant, capture, event_type="contact.created"):
    with capture(execute=True):
        event_emit(tenant=tenant, event_type=event_type, payload={"id": "con_1"})


def test_test_send_delivers_now_and_is_logged(api_client, assert_contract, tenant, headers):
    with Receiver() as receiver:
        endpoint, secret = endpoint_make(tenant, url=receiver.url, events=["contact.created"])
        response = api_client.post(TEST, {"webhookId": endpoint.public_id}, format="json", **headers)
        data = assert_contract(response, "testWebhook", status=200)["data"]
        request = receiver.requests[0]
    body = Webhook(secret).verify(request.body, request.headers)
    assert body["type"] == "webhook.test"
    assert body["data"]["test"] is True
    assert data["sent"] == 1
    assert data["delivered"] == 1
    (result,) = data["results"]
    assert result["webhookId"] == endpoint.public_id
    assert result["deliveryId"] == request.headers["webhook-id"]
    assert (result["status"], result["responseStatus"], result["attempt"]) == ("delivered", 200, 1)
    log = assert_contract(api_client.get(DELIVERIES, **headers), "listWebhookDeliveries", status=200)["data"]
    (row,) = log["deliveries"]
    assert row["deliveryId"] == result["deliveryId"]
    assert row["event"] == "webhook.test"
    assert "deliveredAt" in row


def test_test_send_without_an_id_goes_to_every_active_endpoint_and_reports_failures(
    api_client, assert_contract, tenant, headers
):
    with Receiver() as ok, Receiver(default=Reply(500, b"down")) as broken:
        endpoint_make(tenant, url=ok.url)
        endpoint_make(tenant, url=broken.url)
        data = assert_contract(api_client.post(TEST, format="json", **headers), "testWebhook", status=200)["data"]
    assert data["sent"] == 2
    assert data["delivered"] == 1
    failed = next(r for r in data["results"] if not r["delivered"])
    assert failed["status"] == "failed"  # a test send has one attempt, no retries
    assert failed["responseStatus"] == 500
    assert WebhookDelivery.objects.filter(status="retrying").count() == 0


def test_test_send_validates_its_input(api_client, assert_contract, tenant, headers):
    endpoint, _ = endpoint_make(tenant)
    response = api_client.post(TEST, {"webhookId": 5, "event": "nope"}, format="json", **headers)
    assert_contract(response, "testWebhook", status=400)
    assert {d.split(":")[0] for d in response.json()["details"]} == {"webhookId", "event"}
    api_client.delete(f"/api/server/webhooks/{endpoint.public_id}", **headers)
    response = api_client.post(TEST, {"webhookId": endpoint.public_id}, format="json", **headers)
    assert_contract(response, "testWebhook", status=400)
    assert response.json()["code"] == "SERVER_WEBHOOK_VALIDATION_FAILED"
    assert not WebhookAttempt.objects.exists()


def test_the_log_lists_attempts_newest_first_with_filters(
    api_client, assert_contract, tenant, headers, django_capture_on_commit_callbacks
):
    with Receiver([Reply(500)]) as first, Receiver() as second:
        one, _ = endpoint_make(tenant, url=first.url)
        two, _ = endpoint_make(tenant, url=second.url, events=["message.read"])
        _emit(tenant, django_capture_on_commit_callbacks)
        _emit(tenant, django_capture_on_commit_callbacks, "message.read")
    rows = assert_contract(api_client.get(DELIVERIES, **headers), "listWebhookDeliveries", status=200)["data"]
    assert [r["event"] for r in rows["deliveries"]] == ["message.read", "message.read", "contact.created"]
    assert {r["webhookId"] for r in rows["deliveries"][:2]} == {one.public_id, two.public_id}
    assert rows["deliveries"][2]["webhookId"] == one.public_id
    failed = rows["deliveries"][-1]
    assert (failed["status"], failed["responseStatus"], failed["errorMessage"]) == ("retrying", 500, "HTTP 500.")
    assert "deliveredAt" not in failed
    assert isinstance(failed["durationMs"], int)

    def listed(**params):
        response = api_client.get(DELIVERIES, params, **headers)
        return [r["id"] for r in assert_contract(response, "listWebhookDeliveries", status=200)["data"]["deliveries"]]

    assert len(listed(webhookId=one.public_id)) == 2
    assert len(listed(status="retrying")) == 1
    assert len(listed(event="message.read")) == 2
    assert len(listed(webhookId=one.public_id, event="message.read", status="delivered")) == 1
    assert len(listed(limit=1)) == 1


def test_bad_log_filters_are_one_400(api_client, assert_contract, headers):
    response = api_client.get(DELIVERIES, {"limit": "x", "status": "lost", "event": "nope"}, **headers)
    assert_contract(response, "listWebhookDeliveries", status=400)
    assert response.json()["code"] == "SERVER_WEBHOOK_VALIDATION_FAILED"
    assert {d.split(":")[0] for d in response.json()["details"]} == {"limit", "status", "event"}


def test_the_log_reads_a_constant_number_of_queries(
    api_client, assert_contract, tenant, headers, django_capture_on_commit_callbacks
):
    with Receiver() as receiver:
        endpoint_make(tenant, url=receiver.url)
        _emit(tenant, django_capture_on_commit_callbacks)
        api_client.get(DELIVERIES, **headers)
        with CaptureQueriesContext(connection) as one:
            api_client.get(DELIVERIES, **headers)
        for _ in range(4):
            _emit(tenant, django_capture_on_commit_callbacks)
        with CaptureQueriesContext(connection) as five:
            body = assert_contract(api_client.get(DELIVERIES, **headers), "listWebhookDeliveries", status=200)
    assert len(body["data"]["deliveries"]) == 5
    assert len(five.captured_queries) == len(one.captured_queries)


def test_another_tenants_attempts_are_not_listed(
    api_client, assert_contract, headers, django_capture_on_commit_callbacks
):
    other = webhook_tenant()
    with Receiver() as receiver:
        endpoint_make(other, url=receiver.url)
        _emit(other, django_capture_on_commit_callbacks)
    assert WebhookAttempt.objects.count() == 1
    body = assert_contract(api_client.get(DELIVERIES, **headers), "listWebhookDeliveries", status=200)
    assert body["data"]["deliveries"] == []
