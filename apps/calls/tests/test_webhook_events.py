"""The call events reach the webhooks outbox (no fake): one recorded event per status change."""

import pytest

from apps.calls.tests.factories import CALL_FEATURES, conversation_for, owner_headers, visitor_for, visitor_headers
from apps.plans.tests.factories import subscribe
from apps.webhooks.models import WebhookEvent
from apps.webhooks.tests.factories import endpoint_make, webhook_tenant

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenant():
    tenant = webhook_tenant()
    subscribe(tenant, features={**CALL_FEATURES, "webhooks": True}, quotas={"webhooks": "unlimited"})
    endpoint_make(tenant, events=["call.started", "call.ended"])
    return tenant


def test_a_started_and_ended_call_records_one_event_each_with_the_api_payload(api_client, assert_contract, tenant):
    visitor = visitor_for(tenant)
    conversation = conversation_for(tenant, visitor)
    body = {"conversationId": conversation.public_id, "type": "audio"}
    created = assert_contract(
        api_client.post("/api/calls/sessions", body, format="json", **visitor_headers(visitor)),
        "createCallSession",
        201,
    )["data"]["callSession"]
    call_url, owner = f"/api/calls/sessions/{created['id']}/end", owner_headers(tenant)
    ended = assert_contract(
        api_client.patch(call_url, {"reason": "bye"}, format="json", **owner), "endCallSession", 200
    )["data"]["callSession"]
    api_client.patch(call_url, {"reason": "again"}, format="json", **owner)  # idempotent: no second event
    events = list(WebhookEvent.objects.for_tenant(tenant).order_by("id").values_list("event_type", "payload"))
    assert events == [("call.started", created), ("call.ended", ended)]


def test_a_refused_create_records_no_event(api_client, assert_contract, tenant):
    foreign = conversation_for(webhook_tenant())
    body = {"conversationId": foreign.public_id, "type": "audio"}
    response = api_client.post("/api/calls/sessions", body, format="json", **owner_headers(tenant))
    assert_contract(response, "createCallSession", 404)
    assert not WebhookEvent.objects.exists()
