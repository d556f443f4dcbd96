"""Routing mode ``ai_assisted``: the AI never answers the visitor; it drafts a reply the agents read (issue 18)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.ai import services
from apps.ai.models import AiDraft, RoutingMode
from apps.ai.tests.conftest import chat_completion
from apps.ai.tests.factories import ai_tenant, indexed_document, visitor_headers
from apps.billing.models import AiHold, AiUsageLog
from apps.billing.tests.factories import fund_ai
from apps.chat.models import Message
from apps.chat.tests.chat_fixtures import agent_headers, make_agent, send_message, start_conversation

pytestmark = pytest.mark.django_db

CHAT = "/api/ai/visitor/chat"
DRAFT_TEXT = "Standard shipping takes three to five business days."


@pytest.fixture
def tenant():
    tenant = ai_tenant(quotas={"knowledge_documents": 5, "ai_chat_replies": 10, "contacts": "unlimited"})
    services.routing_mode_set(tenant=tenant, mode=RoutingMode.AI_ASSISTED)
    indexed_document(tenant, "shipping.txt", "Standard shipping takes three to five business days within Europe.")
    return tenant


@pytest.fixture
def provider(fake_provider):
    fake_provider.routes["/v1/chat/completions"] = (
        200,
        {"Content-Type": "application/json"},
        chat_completion(DRAFT_TEXT, 120, 30),
    )
    return fake_provider


def _drafts(api_client, agent, conversation_id):
    return api_client.get(f"/api/agent-sdk/conversations/{conversation_id}/ai-drafts", **agent_headers(agent))


def test_the_ai_drafts_for_the_agent_and_never_answers_the_visitor(
    api_client, assert_contract, tenant, provider, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            CHAT, {"message": "How long does shipping take?"}, format="json", **visitor_headers(tenant)
        )
    data = assert_contract(response, "sendAiVisitorMessage", status=200)["data"]
    assert data["message"] == services.HANDED_OFF_TEXT
    assert data["handoffRecommended"] is True
    assert data["metadata"]["routing"] == "ai_assisted"
    assert not Message.objects.filter(tenant=tenant, sender_type="ai").exists()  # nothing reached the visitor

    draft = AiDraft.objects.get(tenant=tenant)
    assert (draft.status, draft.body, draft.message.body) == ("ready", DRAFT_TEXT, "How long does shipping take?")
    assert len(provider.requests) == 1
    assert AiUsageLog.objects.filter(tenant=tenant, kind="chat_reply").count() == 1  # a draft is metered as a reply

    agent = make_agent(tenant)
    body = assert_contract(
        _drafts(api_client, agent, data["conversationId"]), "listAgentConversationAiDrafts", status=200
    )
    [listed] = body["data"]["drafts"]
    assert listed["draftId"] == draft.public_id
    assert (listed["status"], listed["body"], listed["inReplyToMessageId"]) == (
        "ready",
        DRAFT_TEXT,
        draft.message.public_id,
    )
    assert listed["sources"][0]["title"] == "shipping.txt"


def test_live_chat_messages_get_drafts_too_and_a_burst_gets_one(
    api_client, tenant, provider, django_capture_on_commit_callbacks
):
    headers = visitor_headers(tenant, "vis_live")
    with django_capture_on_commit_callbacks(execute=False) as queued:
        conversation = start_conversation(api_client, headers)
        send_message(api_client, headers, conversation["conversationId"], body="Hello?")
        send_message(api_client, headers, conversation["conversationId"], body="How long does shipping take?")
    for callback in queued:
        callback()  # the tasks run after the burst, as a busy worker would
    assert list(AiDraft.objects.filter(tenant=tenant).values_list("message__body", "status")) == [
        ("How long does shipping take?", "ready")
    ]
    assert len(provider.requests) == 1


def test_agents_messages_and_other_routing_modes_draft_nothing(
    api_client, tenant, provider, django_capture_on_commit_callbacks
):
    agent = make_agent(tenant)
    headers = visitor_headers(tenant, "vis_modes")
    with django_capture_on_commit_callbacks(execute=True):
        conversation = start_conversation(api_client, headers)
        api_client.post(
            f"/api/agent-sdk/conversations/{conversation['conversationId']}/messages",
            {"body": "Hi, how can I help?"},
            format="json",
            **agent_headers(agent),
        )
        services.routing_mode_set(tenant=tenant, mode=RoutingMode.AI_FIRST)
        send_message(api_client, headers, conversation["conversationId"], body="How long does shipping take?")
    assert not AiDraft.objects.exists()
    assert provider.requests == []


def test_an_empty_balance_skips_the_draft_without_calling_the_provider(
    api_client, tenant, provider, django_capture_on_commit_callbacks
):
    AiUsageLog.objects.bulk_create(AiUsageLog(tenant=tenant, kind="chat_reply") for _ in range(10))
    fund_ai(tenant, 0, block_on_zero=True, overage_enabled=False)
    headers = visitor_headers(tenant, "vis_broke")
    with django_capture_on_commit_callbacks(execute=True):
        conversation = start_conversation(api_client, headers)
        send_message(api_client, headers, conversation["conversationId"], body="How long does shipping take?")
    draft = AiDraft.objects.get(tenant=tenant)
    assert draft.status == "skipped"
    assert "balance is empty" in draft.reason
    assert provider.requests == []


def test_a_provider_failure_is_a_failed_draft_and_releases_the_hold(
    api_client, tenant, fake_provider, django_capture_on_commit_callbacks
):
    fake_provider.routes["/v1/chat/completions"] = (503, {"Content-Type": "application/json"}, b"{}")
    headers = visitor_headers(tenant, "vis_down")
    with django_capture_on_commit_callbacks(execute=True):
        conversation = start_conversation(api_client, headers)
        send_message(api_client, headers, conversation["conversationId"], body="How long does shipping take?")
    assert AiDraft.objects.get(tenant=tenant).status == "failed"
    assert AiHold.objects.get(tenant=tenant).status == "released"
    assert not AiUsageLog.objects.filter(tenant=tenant).exists()


def test_drafts_follow_the_agents_visibility_and_list_in_constant_queries(
    api_client, assert_contract, tenant, provider, django_capture_on_commit_callbacks
):
    headers = visitor_headers(tenant, "vis_vis")
    with django_capture_on_commit_callbacks(execute=True):
        conversation = start_conversation(api_client, headers)
        send_message(api_client, headers, conversation["conversationId"], body="How long does shipping take?")
    agent = make_agent(tenant)

    with CaptureQueriesContext(connection) as one:
        assert _drafts(api_client, agent, conversation["conversationId"]).status_code == 200
    for n in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            send_message(api_client, headers, conversation["conversationId"], body=f"And question {n}?")
    with CaptureQueriesContext(connection) as four:
        response = _drafts(api_client, agent, conversation["conversationId"])
    assert len(response.json()["data"]["drafts"]) == 4
    assert len(four.captured_queries) == len(one.captured_queries)

    stranger = make_agent(ai_tenant())
    body = assert_contract(
        _drafts(api_client, stranger, conversation["conversationId"]), "listAgentConversationAiDrafts", 404
    )
    assert body["code"] == "NOT_FOUND"
