"""Visitor AI with the built-in extractive provider: routing, conversations, chat, hand-off, errors."""

import pytest

from apps.ai import services
from apps.ai.models import AiConversation, RoutingMode
from apps.ai.tests.factories import admin_headers, ai_tenant, indexed_document, visitor_headers
from apps.billing.models import AiUsageLog
from apps.billing.services import ai_pricing_update
from apps.chat.models import AgentPresence, AgentPresenceStatus, Conversation, Message
from apps.tenants.tests.factories import StaffFactory
from ringnity.testing.contract import assert_contract as checked

pytestmark = pytest.mark.django_db

ROUTING = "/api/ai/visitor/routing"
CONVERSATIONS = "/api/ai/visitor/conversations"
CHAT = "/api/ai/visitor/chat"


@pytest.fixture
def tenant():
    tenant = ai_tenant()
    services.routing_mode_set(tenant=tenant, mode=RoutingMode.AI_FIRST)
    indexed_document(tenant, "shipping.txt", "Standard shipping takes three to five business days within Europe.")
    indexed_document(tenant, "returns.txt", "Unworn shoes can be returned within thirty days for a full refund.")
    return tenant


def chat(client, tenant, message, **extra):
    response = client.post(CHAT, {"message": message, **extra}, format="json", **visitor_headers(tenant))
    checked(response, "sendAiVisitorMessage")
    return response


def test_routing_reports_mode_ai_use_and_human_fallback(api_client, assert_contract, tenant):
    body = assert_contract(api_client.get(ROUTING, **visitor_headers(tenant)), "getAiVisitorRouting", status=200)
    assert body["data"] == {"mode": "ai_first", "canUseAi": True, "humanFallbackAvailable": False}
    agent = StaffFactory(tenant=tenant)
    AgentPresence.objects.create(tenant=tenant, agent=agent, status=AgentPresenceStatus.AVAILABLE)
    services.routing_mode_set(tenant=tenant, mode=RoutingMode.HUMAN_ONLY)
    body = assert_contract(api_client.get(ROUTING, **visitor_headers(tenant)), "getAiVisitorRouting", status=200)
    assert body["data"] == {"mode": "human_only", "canUseAi": False, "humanFallbackAvailable": True}


def test_routing_defaults_to_human_only_and_needs_a_visitor_credential(api_client, assert_contract):
    tenant = ai_tenant()
    body = assert_contract(api_client.get(ROUTING, **visitor_headers(tenant)), "getAiVisitorRouting", status=200)
    assert body["data"]["mode"] == "human_only"
    assert body["data"]["canUseAi"] is False
    body = assert_contract(api_client.get(ROUTING), "getAiVisitorRouting", status=401)
    assert body["code"] == "SDK_SESSION_REQUIRED"


def test_an_ai_conversation_is_a_chat_conversation_on_channel_ai(api_client, assert_contract, tenant):
    response = api_client.post(
        CONVERSATIONS,
        {"visitor": {"name": "Ada", "email": "ada@example.com"}},
        format="json",
        **visitor_headers(tenant),
    )
    data = assert_contract(response, "createAiVisitorConversation", status=201)["data"]
    conversation = Conversation.objects.get(public_id=data["conversationId"])
    assert conversation.channel == "ai"
    assert conversation.visitor.name == "Ada"
    assert AiConversation.objects.get(public_id=data["aiConversationId"]).conversation == conversation
    again = api_client.post(CONVERSATIONS, {}, format="json", **visitor_headers(tenant))
    assert assert_contract(again, "createAiVisitorConversation", status=201)["data"] == data


def test_human_only_tenants_do_not_start_ai_conversations(api_client, assert_contract, tenant):
    services.routing_mode_set(tenant=tenant, mode=RoutingMode.HUMAN_ONLY)
    response = api_client.post(CONVERSATIONS, {}, format="json", **visitor_headers(tenant))
    assert assert_contract(response, "createAiVisitorConversation", status=403)["code"] == "FEATURE_NOT_AVAILABLE"
    assert not Conversation.objects.exists()


def test_the_extractive_provider_quotes_the_best_passage_with_its_source(api_client, assert_contract, tenant):
    data = assert_contract(chat(api_client, tenant, "How long does shipping take?"), "sendAiVisitorMessage", 200)[
        "data"
    ]
    assert data["handoffRecommended"] is False
    assert "three to five business days" in data["message"]
    assert "(source: shipping.txt)" in data["message"]
    assert data["metadata"]["provider"] == "extractive"
    assert data["metadata"]["sources"][0]["source"] == "shipping.txt"
    assert "model" not in data["message"].lower()
    messages = list(Message.objects.order_by("id").values_list("sender_type", "body"))
    assert messages[0] == ("visitor", "How long does shipping take?")
    assert messages[1][0] == "ai"
    log = AiUsageLog.objects.get()
    assert (log.model, log.input_tokens, log.output_tokens, log.reference) == (
        "extractive",
        0,
        0,
        data["aiConversationId"],
    )


def test_no_good_match_recommends_a_handoff_and_queues_the_conversation(api_client, assert_contract, tenant):
    data = assert_contract(chat(api_client, tenant, "Do you sell bicycles?"), "sendAiVisitorMessage", 200)["data"]
    assert data["handoffRecommended"] is True
    ai_conversation = AiConversation.objects.get()
    assert ai_conversation.handed_off_at is not None
    conversation = ai_conversation.conversation
    assert (conversation.status, conversation.assigned_agent_id) == ("open", None)
    assert Message.objects.filter(conversation=conversation, sender_type="system").count() == 1
    # After the hand-off the AI stays silent: nothing more is metered.
    later = chat(api_client, tenant, "Hello?", aiConversationId=data["aiConversationId"])
    assert assert_contract(later, "sendAiVisitorMessage", status=200)["data"]["handoffRecommended"] is True
    assert AiUsageLog.objects.count() == 1
    assert Message.objects.filter(conversation=conversation, sender_type="visitor").count() == 2


def test_asking_for_a_person_hands_off_without_an_ai_reply(api_client, assert_contract, tenant):
    data = assert_contract(chat(api_client, tenant, "Can I talk to a human please"), "sendAiVisitorMessage", 200)[
        "data"
    ]
    assert data["handoffRecommended"] is True
    assert data["metadata"]["handoffReason"] == "visitor_asked"
    assert not AiUsageLog.objects.exists()
    assert not Message.objects.filter(sender_type="ai").exists()


def test_stream_true_answers_with_the_reply_id_and_stores_the_reply_like_any_other(
    api_client, assert_contract, tenant, django_capture_on_commit_callbacks
):
    """The pieces go over the realtime gateway (apps/realtime/tests/test_gateway_ai.py); here, the REST side."""
    with django_capture_on_commit_callbacks(execute=True):
        response = chat(api_client, tenant, "How long does shipping take?", stream=True)
    data = assert_contract(response, "sendAiVisitorMessage", status=200)["data"]
    assert (data["message"], data["metadata"]["stream"]) == ("", True)
    reply = Message.objects.get(public_id=data["metadata"]["messageId"])  # the eager task has run
    assert reply.sender_type == "ai"
    assert "three to five business days" in reply.body
    assert AiConversation.objects.get(public_id=data["aiConversationId"]).reply_count == 1


def test_bad_chat_input_lists_every_field_and_writes_nothing(api_client, assert_contract, tenant):
    response = api_client.post(CHAT, {"stream": "yes", "metadata": []}, format="json", **visitor_headers(tenant))
    body = assert_contract(response, "sendAiVisitorMessage", status=400)
    assert {detail.split(":")[0] for detail in body["details"]} == {"message", "stream", "metadata"}
    assert not Conversation.objects.exists()


def test_a_message_over_the_input_token_guardrail_is_refused(api_client, assert_contract, tenant):
    ai_pricing_update(changes={"max_input_tokens": 10})
    body = assert_contract(chat(api_client, tenant, "word " * 20), "sendAiVisitorMessage", status=400)
    assert body["details"] == ["message: longer than the AI accepts (10 tokens)."]
    assert not Message.objects.exists()


def test_another_visitors_or_tenants_ai_conversation_is_not_found(api_client, assert_contract, tenant):
    first = chat(api_client, tenant, "How long does shipping take?").json()["data"]
    stranger = api_client.post(
        CHAT,
        {"message": "hi", "aiConversationId": first["aiConversationId"]},
        format="json",
        **visitor_headers(tenant, subject="vis_other"),
    )
    assert assert_contract(stranger, "sendAiVisitorMessage", status=404)["code"] == "NOT_FOUND"
    other_tenant = ai_tenant()
    services.routing_mode_set(tenant=other_tenant, mode=RoutingMode.AI_FIRST)
    response = chat(api_client, other_tenant, "hi", conversationId=first["conversationId"])
    assert assert_contract(response, "sendAiVisitorMessage", status=404)["code"] == "NOT_FOUND"


def test_a_tenant_without_ai_chat_in_its_plan_is_refused(api_client, assert_contract):
    tenant = ai_tenant(features={"chat": True, "knowledge_base": True})
    services.routing_mode_set(tenant=tenant, mode=RoutingMode.AI_FIRST)
    body = assert_contract(chat(api_client, tenant, "hello"), "sendAiVisitorMessage", status=403)
    assert body["code"] == "FEATURE_NOT_AVAILABLE"


def test_agent_and_admin_tokens_cannot_use_visitor_ai(api_client, assert_contract, tenant):
    response = api_client.post(CHAT, {"message": "hi"}, format="json", **admin_headers(tenant))
    assert assert_contract(response, "sendAiVisitorMessage", status=401)["code"] == "AUTH_TOKEN_INVALID"
    response = api_client.post(
        CHAT, {"message": "hi"}, format="json", **visitor_headers(tenant, scopes=["visitor:chat"])
    )
    assert assert_contract(response, "sendAiVisitorMessage", status=403)["details"] == ["missing scope: visitor:ai"]


def test_one_visitor_is_rate_limited_per_minute(api_client, assert_contract, tenant, monkeypatch):
    monkeypatch.setattr(services, "VISITOR_MESSAGES_PER_MINUTE", 2)
    monkeypatch.setattr(services, "_clock", lambda: 1_800_000_030.0)  # one fixed minute, 30 s in
    chat(api_client, tenant, "How long does shipping take?")
    chat(api_client, tenant, "And returns?")
    response = chat(api_client, tenant, "Third message")
    assert assert_contract(response, "sendAiVisitorMessage", status=429)["code"] == "RATE_LIMITED"
    assert response["Retry-After"] == "30"
    assert not Message.objects.filter(body="Third message").exists()
    other = api_client.post(
        CHAT, {"message": "How long does shipping take?"}, format="json", **visitor_headers(tenant, subject="vis_2")
    )
    assert assert_contract(other, "sendAiVisitorMessage", status=200)


def test_the_ai_stays_silent_once_an_agent_has_the_conversation(api_client, assert_contract, tenant):
    first = chat(api_client, tenant, "How long does shipping take?").json()["data"]
    agent = StaffFactory(tenant=tenant)
    Conversation.objects.filter(public_id=first["conversationId"]).update(assigned_agent=agent)
    response = chat(api_client, tenant, "And returns?", aiConversationId=first["aiConversationId"])
    data = assert_contract(response, "sendAiVisitorMessage", status=200)["data"]
    assert data["handoffRecommended"] is True
    assert data["metadata"]["handoffReason"] == "agent_assigned"
    assert AiUsageLog.objects.count() == 1
    assert Message.objects.filter(sender_type="ai").count() == 1
