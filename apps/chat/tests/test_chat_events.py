"""Chat events land in the webhooks outbox once each; rollbacks leave none.

Their bodies are checked against the published schema in ``tests/test_webhook_event_shapes.py``.
"""

import pytest

from apps.chat.tests.chat_fixtures import CHAT_FEATURES, agent_headers, make_agent, start_conversation, visitor_headers
from apps.plans.tests.factories import subscribe
from apps.tenants.tests.factories import TenantFactory
from apps.webhooks.models import WebhookEvent
from apps.webhooks.tests.factories import endpoint_make

pytestmark = pytest.mark.django_db


def test_chat_lifecycle_records_each_event_once_with_its_documented_shape(api_client):
    tenant = TenantFactory()
    subscribe(
        tenant, features={**CHAT_FEATURES, "webhooks": True}, quotas={"webhooks": "unlimited", "contacts": "unlimited"}
    )
    endpoint_make(tenant)
    visitor = visitor_headers(tenant)
    cid = start_conversation(api_client, visitor)["conversationId"]
    base = f"/api/chat/visitor/conversations/{cid}/messages"
    message = api_client.post(base, {"body": "Hi", "clientMessageId": "x"}, format="json", **visitor).json()["data"][
        "message"
    ]
    api_client.post(base, {"body": "Hi", "clientMessageId": "x"}, format="json", **visitor)  # a retry: no second event
    api_client.patch(f"{base}/{message['messageId']}", {"body": "Hello"}, format="json", **visitor)
    agent = agent_headers(make_agent(tenant))
    api_client.post(f"/api/chat/conversations/{cid}/messages/{message['messageId']}/read", **agent)
    api_client.post(f"/api/chat/conversations/{cid}/messages/{message['messageId']}/read", **agent)
    api_client.delete(f"{base}/{message['messageId']}", **visitor)
    api_client.post(f"/api/agent-sdk/conversations/{cid}/assign", {}, format="json", **agent)
    api_client.post(f"/api/agent-sdk/conversations/{cid}/close", **agent)
    api_client.post(f"/api/agent-sdk/conversations/{cid}/close", **agent)
    events = list(WebhookEvent.objects.for_tenant(tenant).order_by("id"))
    assert [e.event_type for e in events] == [
        "conversation.created",
        "message.created",
        "message.updated",
        "message.read",
        "message.deleted",
        "conversation.assigned",
        "conversation.closed",
    ]
    assert events[1].payload["messageId"] == message["messageId"]


def test_closed_conversation_send_leaves_no_event(api_client):
    tenant = TenantFactory()
    subscribe(
        tenant, features={**CHAT_FEATURES, "webhooks": True}, quotas={"webhooks": "unlimited", "contacts": "unlimited"}
    )
    endpoint_make(tenant)
    visitor = visitor_headers(tenant)
    cid = start_conversation(api_client, visitor)["conversationId"]
    api_client.post(f"/api/agent-sdk/conversations/{cid}/close", **agent_headers(make_agent(tenant)))
    before = WebhookEvent.objects.count()
    response = api_client.post(
        f"/api/chat/visitor/conversations/{cid}/messages", {"body": "x"}, format="json", **visitor
    )
    assert response.status_code == 409
    assert WebhookEvent.objects.count() == before
