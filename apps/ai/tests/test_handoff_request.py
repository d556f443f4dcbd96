"""The "talk to a person" extension (``handoffAiVisitorConversation``): the widget's button hands the visitor's
AI conversation to the team without a message the AI has to read, once, and only the visitor's own."""

import pytest

from apps.ai import services
from apps.ai.models import AiConversation, RoutingMode
from apps.ai.tests.factories import ai_tenant, indexed_document, visitor_headers
from apps.billing.models import AiUsageLog
from apps.chat.models import Message, SenderType

pytestmark = pytest.mark.django_db
HANDOFF = "/api/ai/visitor/handoff"


@pytest.fixture
def tenant():
    tenant = ai_tenant()
    services.routing_mode_set(tenant=tenant, mode=RoutingMode.AI_FIRST)
    indexed_document(tenant, "shipping.txt", "Standard shipping takes three to five business days within Europe.")
    return tenant


def _ai_conversation(client, tenant, subject="vis_handoff") -> dict:
    response = client.post("/api/ai/visitor/conversations", {}, format="json", **visitor_headers(tenant, subject))
    assert response.status_code == 201, response.content
    return response.json()["data"]


def test_the_button_hands_the_conversation_to_the_team_once(api_client, assert_contract, tenant):
    ids = _ai_conversation(api_client, tenant)
    for body in ({"conversationId": ids["conversationId"]}, {"aiConversationId": ids["aiConversationId"]}):
        response = api_client.post(HANDOFF, body, format="json", **visitor_headers(tenant, "vis_handoff"))
        data = assert_contract(response, "handoffAiVisitorConversation", status=200)["data"]
        assert data["handoffRecommended"] is True
        assert data["metadata"]["handoffReason"] == "visitor_asked"
        assert data["conversationId"] == ids["conversationId"]
    ai_conversation = AiConversation.objects.get(public_id=ids["aiConversationId"])
    assert ai_conversation.handed_off_at is not None
    assert ai_conversation.handoff_reason == "visitor_asked"
    system = Message.objects.filter(conversation=ai_conversation.conversation, sender_type=SenderType.SYSTEM)
    assert [m.metadata["aiHandoff"] for m in system] == [True]  # the second press changed nothing

    later = api_client.post(
        "/api/ai/visitor/chat",
        {"conversationId": ids["conversationId"], "message": "How long does shipping take?"},
        format="json",
        **visitor_headers(tenant, "vis_handoff"),
    )
    assert assert_contract(later, "sendAiVisitorMessage", status=200)["data"]["handoffRecommended"] is True
    assert not AiUsageLog.objects.filter(tenant=tenant).exists()  # the AI stays silent, nothing metered


def test_another_visitors_conversation_is_404_and_an_id_is_required(api_client, assert_contract, tenant):
    ids = _ai_conversation(api_client, tenant)
    other = visitor_headers(tenant, "vis_other")
    response = api_client.post(HANDOFF, {"conversationId": ids["conversationId"]}, format="json", **other)
    assert assert_contract(response, "handoffAiVisitorConversation", status=404)["code"] == "NOT_FOUND"
    assert AiConversation.objects.get(public_id=ids["aiConversationId"]).handed_off_at is None
    response = api_client.post(HANDOFF, {}, format="json", **other)
    assert assert_contract(response, "handoffAiVisitorConversation", status=400)["code"] == "VALIDATION_FAILED"
    assert assert_contract(api_client.post(HANDOFF, {}, format="json"), "handoffAiVisitorConversation", status=401)
