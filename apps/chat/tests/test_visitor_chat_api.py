"""Visitor chat: sessions, conversation start, messages, availability, tickets — and who may see what."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.chat.models import ChatSession, Conversation, Message, Visitor
from apps.chat.services import contact_upsert
from apps.chat.tasks import prune_chat_sessions
from apps.chat.tests.chat_fixtures import (
    agent_headers,
    chat_tenant,
    make_agent,
    send_message,
    start_conversation,
    visitor_headers,
)
from apps.developer.models import AllowedDomain
from apps.tenants.tests.factories import TenantFactory

pytestmark = pytest.mark.django_db

SESSIONS = "/api/chat/visitor/sessions"
CONVERSATIONS = "/api/chat/visitor/conversations"


def _conversation_url(conversation_id, tail=""):
    return f"{CONVERSATIONS}/{conversation_id}{tail}"


# --- sessions -----------------------------------------------------------------------------


def test_session_with_sdk_token_returns_visitor_and_chat_token_that_resumes_same_visitor(api_client, assert_contract):
    tenant = chat_tenant()
    response = api_client.post(SESSIONS, {"visitor": {"name": "Ann"}}, format="json", **visitor_headers(tenant))
    first = assert_contract(response, "createVisitorChatSession", status=201)["data"]
    assert first["visitorId"].startswith("vis_")
    assert first["sessionToken"].startswith("rn_cs_")
    again = api_client.post(SESSIONS, {}, format="json", HTTP_X_RINGNITY_CHAT_SESSION=first["sessionToken"])
    resumed = assert_contract(again, "createVisitorChatSession", status=201)["data"]
    assert resumed["visitorId"] == first["visitorId"]
    assert resumed["sessionToken"] == first["sessionToken"]
    stored = ChatSession.objects.get()
    assert stored.token_digest != first["sessionToken"]
    assert first["sessionToken"] not in stored.token_digest


def test_chat_token_resumes_open_ticket_after_sdk_token_expired(api_client, assert_contract):
    tenant = chat_tenant()
    headers = visitor_headers(tenant)
    token = api_client.post(SESSIONS, {}, format="json", **headers).json()["data"]["sessionToken"]
    conversation = start_conversation(api_client, headers)
    expired = visitor_headers(tenant, expires_in=-10)
    assert_contract(api_client.get("/api/chat/visitor/tickets/open", **expired), "getVisitorOpenTicket", status=401)
    resumed = api_client.post(SESSIONS, {}, format="json", HTTP_X_RINGNITY_CHAT_SESSION=token)
    data = assert_contract(resumed, "createVisitorChatSession", status=201)["data"]
    assert data["conversation"]["conversationId"] == conversation["conversationId"]


def test_anonymous_session_needs_tenant_header_and_allowed_origin(api_client, assert_contract):
    tenant = chat_tenant(slug="shop")
    AllowedDomain.objects.create(tenant=tenant, domain="shop.example.com")
    missing = api_client.post(SESSIONS, {}, format="json")
    assert assert_contract(missing, "createVisitorChatSession", status=401)["code"] == "SDK_SESSION_REQUIRED"
    foreign = api_client.post(
        SESSIONS, {}, format="json", HTTP_X_RINGNITY_TENANT="shop", HTTP_ORIGIN="https://evil.example.net"
    )
    assert assert_contract(foreign, "createVisitorChatSession", status=403)["code"] == "SDK_ORIGIN_NOT_ALLOWED"
    assert not Visitor.objects.exists()
    ok = api_client.post(
        SESSIONS, {}, format="json", HTTP_X_RINGNITY_TENANT="shop", HTTP_ORIGIN="https://shop.example.com"
    )
    assert_contract(ok, "createVisitorChatSession", status=201)
    assert ok["Access-Control-Allow-Origin"] == "https://shop.example.com"
    unknown = api_client.post(SESSIONS, {}, format="json", HTTP_X_RINGNITY_TENANT="nope")
    assert assert_contract(unknown, "createVisitorChatSession", status=404)["code"] == "SDK_CLIENT_NOT_FOUND"


def test_anonymous_starts_are_capped_per_address(api_client, assert_contract, settings):
    settings.CHAT_ANONYMOUS_STARTS_PER_IP = 2
    chat_tenant(slug="shop")
    for _ in range(2):
        assert api_client.post(SESSIONS, {}, format="json", HTTP_X_RINGNITY_TENANT="shop").status_code == 201
    capped = api_client.post(CONVERSATIONS, {}, format="json", HTTP_X_RINGNITY_TENANT="shop")
    assert assert_contract(capped, "createVisitorConversation", status=429)["code"] == "RATE_LIMITED"
    assert capped["Retry-After"]
    assert Visitor.objects.count() == 2


def test_bad_start_input_lists_every_field_and_creates_nothing(api_client, assert_contract):
    tenant = chat_tenant()
    body = {"subject": "x" * 501, "visitor": {"email": "not-an-email", "name": 5}, "metadata": []}
    response = api_client.post(CONVERSATIONS, body, format="json", **visitor_headers(tenant))
    details = " ".join(assert_contract(response, "createVisitorConversation", status=400)["details"])
    for field in ("subject", "email", "name", "metadata"):
        assert field in details
    assert not Conversation.objects.exists()


def test_revoked_or_expired_chat_token_is_401(api_client, assert_contract):
    tenant = chat_tenant()
    token = api_client.post(SESSIONS, {}, format="json", **visitor_headers(tenant)).json()["data"]["sessionToken"]
    ChatSession.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = api_client.post(SESSIONS, {}, format="json", HTTP_X_RINGNITY_CHAT_SESSION=token)
    assert assert_contract(expired, "createVisitorChatSession", status=401)["code"] == "TOKEN_EXPIRED"
    ChatSession.objects.update(expires_at=timezone.now() + timedelta(days=1), revoked_at=timezone.now())
    revoked = api_client.post(SESSIONS, {}, format="json", HTTP_X_RINGNITY_CHAT_SESSION=token)
    assert assert_contract(revoked, "createVisitorChatSession", status=401)["code"] == "AUTH_TOKEN_INVALID"


def test_agent_token_is_refused_on_visitor_start(api_client, assert_contract):
    tenant = chat_tenant()
    response = api_client.post(SESSIONS, {}, format="json", **agent_headers(make_agent(tenant)))
    assert_contract(response, "createVisitorChatSession", status=401)


def test_identity_sent_with_a_message_is_kept_on_the_unverified_visitor(api_client):
    tenant = chat_tenant()
    headers = visitor_headers(tenant)
    conversation = start_conversation(api_client, headers)
    send_message(api_client, headers, conversation["conversationId"], visitor={"email": "Bo@Example.com", "name": "Bo"})
    visitor = Visitor.objects.get()
    assert visitor.email == "Bo@Example.com"
    assert visitor.name == "Bo"
    assert visitor.contact is None
    assert Conversation.objects.get().contact is None


def test_unverified_visitor_neither_links_to_nor_changes_a_contact(api_client):
    tenant = chat_tenant()
    contact, _ = contact_upsert(
        tenant=tenant, fields={"external_id": "cust-9", "name": "Real Name", "phone": "+14155550100"}
    )
    body = {"visitor": {"externalId": "cust-9", "name": "Impostor", "phone": "+10000000000"}}
    api_client.post(SESSIONS, body, format="json", **visitor_headers(tenant))
    contact.refresh_from_db()
    assert contact.name == "Real Name"
    assert contact.phone == "+14155550100"
    assert Visitor.objects.get().contact is None


def test_verified_identity_wins_over_the_body_and_updates_the_contact(api_client):
    tenant = chat_tenant()
    contact, _ = contact_upsert(tenant=tenant, fields={"external_id": "cust-7", "name": "Old", "phone": "+14155550100"})
    verified = {"visitor": {"externalId": "cust-7", "name": "Dana"}, "verified": True}
    headers = visitor_headers(tenant, "ext:cust-7", context=verified)
    api_client.post(SESSIONS, {"visitor": {"name": "Someone else"}}, format="json", **headers)
    visitor = Visitor.objects.get()
    assert visitor.name == "Dana"
    assert visitor.contact == contact
    contact.refresh_from_db()
    assert contact.name == "Dana"


def test_session_metadata_is_kept_on_the_visitor(api_client):
    tenant = chat_tenant()
    headers = visitor_headers(tenant)
    api_client.post(SESSIONS, {"metadata": {"page": "/pricing"}}, format="json", **headers)
    api_client.post(SESSIONS, {"metadata": {"locale": "de"}}, format="json", **headers)
    assert Visitor.objects.get().metadata == {"page": "/pricing", "locale": "de"}


def test_verified_visitor_is_linked_to_a_new_contact(api_client):
    tenant = chat_tenant()
    identity = {"externalId": "cust-1", "name": "Ann", "email": "ann@example.com"}
    headers = visitor_headers(tenant, "ext:cust-1", context={"visitor": identity, "verified": True})
    api_client.post(SESSIONS, {}, format="json", **headers)
    visitor = Visitor.objects.get()
    assert visitor.contact is not None
    assert visitor.contact.external_id == "cust-1"


# --- conversations ------------------------------------------------------------------------


def test_start_returns_the_open_conversation_instead_of_a_second(api_client, assert_contract):
    tenant = chat_tenant()
    headers = visitor_headers(tenant)
    first = api_client.post(CONVERSATIONS, {"subject": "Help"}, format="json", **headers)
    conversation = assert_contract(first, "createVisitorConversation", status=201)["data"]["conversation"]
    assert conversation["conversationNumber"] == "1"
    assert conversation["status"] == "open"
    second = assert_contract(
        api_client.post(CONVERSATIONS, {}, format="json", **headers), "createVisitorConversation", status=201
    )
    assert second["data"]["conversation"]["conversationId"] == conversation["conversationId"]
    assert Conversation.objects.count() == 1
    ticket = api_client.get("/api/chat/visitor/tickets/open", **headers)
    assert assert_contract(ticket, "getVisitorOpenTicket", status=200)["data"]["ticket"]["ticketId"]


def test_numbers_are_sequential_per_tenant(api_client):
    tenant, other = chat_tenant(), chat_tenant()
    numbers = [
        start_conversation(api_client, visitor_headers(tenant, f"vis_{i}"))["conversationNumber"] for i in range(3)
    ]
    assert numbers == ["1", "2", "3"]
    assert start_conversation(api_client, visitor_headers(other))["conversationNumber"] == "1"


def test_start_without_chat_service_is_403(api_client, assert_contract):
    tenant = chat_tenant(features={"chat": False, "server_api": True})
    response = api_client.post(CONVERSATIONS, {}, format="json", **visitor_headers(tenant))
    assert assert_contract(response, "createVisitorConversation", status=403)["code"] == "FEATURE_NOT_AVAILABLE"
    assert not Conversation.objects.exists()


def test_anonymous_conversation_start_returns_a_chat_token(api_client, assert_contract):
    chat_tenant(slug="shop")
    response = api_client.post(CONVERSATIONS, {}, format="json", HTTP_X_RINGNITY_TENANT="shop")
    data = assert_contract(response, "createVisitorConversation", status=201)["data"]
    read = api_client.get(
        _conversation_url(data["conversation"]["conversationId"]), HTTP_X_RINGNITY_CHAT_SESSION=data["sessionToken"]
    )
    assert_contract(read, "getVisitorConversation", status=200)


def test_no_open_ticket_is_404(api_client, assert_contract):
    tenant = chat_tenant()
    assert_contract(
        api_client.get("/api/chat/visitor/tickets/open", **visitor_headers(tenant)), "getVisitorOpenTicket", status=404
    )


def test_routes_on_existing_conversations_need_a_credential(api_client, assert_contract):
    tenant = chat_tenant(slug="shop")
    conversation = start_conversation(api_client, visitor_headers(tenant))
    response = api_client.get(_conversation_url(conversation["conversationId"]), HTTP_X_RINGNITY_TENANT="shop")
    assert assert_contract(response, "getVisitorConversation", status=401)["code"] == "SDK_SESSION_REQUIRED"


def test_availability_reports_service_status_and_agents_online(api_client, assert_contract):
    tenant = chat_tenant()
    headers = visitor_headers(tenant)
    data = assert_contract(
        api_client.get("/api/chat/visitor/availability", **headers), "getVisitorChatAvailability", status=200
    )["data"]
    assert data["status"] == "available"
    assert data["available"] is False
    agent = make_agent(tenant)
    api_client.patch("/api/agent-sdk/presence", {"status": "online"}, format="json", **agent_headers(agent))
    data = api_client.get("/api/chat/visitor/availability", **headers).json()["data"]
    assert data["available"] is True
    closed = chat_tenant(features={"chat": False})
    data = assert_contract(
        api_client.get("/api/chat/visitor/availability", **visitor_headers(closed)),
        "getVisitorChatAvailability",
        status=200,
    )["data"]
    assert data["status"] == "not_in_plan"
    assert data["available"] is False


# --- messages ------------------------------------------------------------------------------


def test_send_is_idempotent_by_client_message_id(api_client, assert_contract):
    tenant = chat_tenant()
    headers = visitor_headers(tenant)
    conversation = start_conversation(api_client, headers)
    url = _conversation_url(conversation["conversationId"], "/messages")
    first = api_client.post(url, {"body": "Hi", "clientMessageId": "c-1"}, format="json", **headers)
    message = assert_contract(first, "sendVisitorConversationMessage", status=201)["data"]["message"]
    retry = api_client.post(url, {"body": "Hi again", "clientMessageId": "c-1"}, format="json", **headers)
    assert assert_contract(retry, "sendVisitorConversationMessage", status=201)["data"]["message"] == message
    assert Message.objects.count() == 1
    assert message["senderType"] == "visitor"


def test_bad_message_lists_every_field_and_writes_nothing(api_client, assert_contract):
    tenant = chat_tenant()
    headers = visitor_headers(tenant)
    conversation = start_conversation(api_client, headers)
    url = _conversation_url(conversation["conversationId"], "/messages")
    response = api_client.post(url, {"body": "   ", "messageType": "html", "metadata": "x"}, format="json", **headers)
    details = " ".join(assert_contract(response, "sendVisitorConversationMessage", status=400)["details"])
    assert "body" in details
    assert "messageType" in details
    assert "metadata" in details
    too_long = api_client.post(url, {"body": "x" * 5001}, format="json", **headers)
    assert_contract(too_long, "sendVisitorConversationMessage", status=400)
    assert not Message.objects.exists()


def test_edit_and_soft_delete_own_message(api_client, assert_contract):
    tenant = chat_tenant()
    headers = visitor_headers(tenant)
    conversation = start_conversation(api_client, headers)
    message = send_message(api_client, headers, conversation["conversationId"], "Helo")
    url = _conversation_url(conversation["conversationId"], f"/messages/{message['messageId']}")
    edited = assert_contract(
        api_client.patch(url, {"body": "Hello"}, format="json", **headers), "editVisitorConversationMessage", status=200
    )
    assert edited["data"]["message"]["body"] == "Hello"
    assert edited["data"]["message"]["editedAt"]
    assert_contract(api_client.delete(url, **headers), "deleteVisitorConversationMessage", status=200)
    assert_contract(api_client.delete(url, **headers), "deleteVisitorConversationMessage", status=200)
    again = api_client.patch(url, {"body": "x"}, format="json", **headers)
    assert assert_contract(again, "editVisitorConversationMessage", status=409)["code"] == "CONFLICT"
    read = api_client.get(_conversation_url(conversation["conversationId"]), **headers).json()["data"]
    assert read["messages"][0]["body"] == ""
    assert read["messages"][0]["deletedAt"]
    empty = api_client.patch(url, {}, format="json", **headers)
    assert_contract(empty, "editVisitorConversationMessage", status=400)


def test_visitor_cannot_edit_an_agent_message(api_client, assert_contract):
    tenant = chat_tenant()
    headers = visitor_headers(tenant)
    conversation = start_conversation(api_client, headers)
    agent = make_agent(tenant)
    sent = api_client.post(
        f"/api/agent-sdk/conversations/{conversation['conversationId']}/messages",
        {"body": "Hi, how can I help?"},
        format="json",
        **agent_headers(agent),
    ).json()["data"]["message"]
    url = _conversation_url(conversation["conversationId"], f"/messages/{sent['messageId']}")
    assert_contract(
        api_client.patch(url, {"body": "x"}, format="json", **headers), "editVisitorConversationMessage", status=403
    )
    assert_contract(api_client.delete(url, **headers), "deleteVisitorConversationMessage", status=403)


# --- isolation -----------------------------------------------------------------------------


def test_other_visitor_and_other_tenant_get_404_on_every_conversation_route(api_client, assert_contract):
    tenant = chat_tenant()
    owner = visitor_headers(tenant, "vis_owner")
    conversation = start_conversation(api_client, owner)
    message = send_message(api_client, owner, conversation["conversationId"])
    cid, mid = conversation["conversationId"], message["messageId"]
    other_tenant = chat_tenant()
    for stranger in (visitor_headers(tenant, "vis_stranger"), visitor_headers(other_tenant, "vis_owner")):
        checks = [
            (api_client.get(_conversation_url(cid), **stranger), "getVisitorConversation"),
            (
                api_client.post(_conversation_url(cid, "/messages"), {"body": "x"}, format="json", **stranger),
                "sendVisitorConversationMessage",
            ),
            (
                api_client.patch(_conversation_url(cid, f"/messages/{mid}"), {"body": "x"}, format="json", **stranger),
                "editVisitorConversationMessage",
            ),
            (
                api_client.delete(_conversation_url(cid, f"/messages/{mid}"), **stranger),
                "deleteVisitorConversationMessage",
            ),
            (
                api_client.post(
                    _conversation_url(cid, "/attachments"),
                    {"filename": "a.png", "contentType": "image/png", "size": 10},
                    format="json",
                    **stranger,
                ),
                "createVisitorConversationAttachment",
            ),
            (
                api_client.post(f"/api/chat/conversations/{cid}/messages/{mid}/delivered", **stranger),
                "markChatMessageDelivered",
            ),
            (api_client.post(f"/api/chat/conversations/{cid}/messages/{mid}/read", **stranger), "markChatMessageRead"),
        ]
        for response, operation in checks:
            assert assert_contract(response, operation, status=404)["code"] == "NOT_FOUND", operation
    assert Message.objects.count() == 1
    assert Message.objects.get().body == "Hello"


def test_unknown_tenant_visitor_token_cannot_read(api_client, assert_contract):
    tenant = chat_tenant()
    conversation = start_conversation(api_client, visitor_headers(tenant))
    stranger = visitor_headers(TenantFactory(), "vis_test")
    assert_contract(
        api_client.get(_conversation_url(conversation["conversationId"]), **stranger),
        "getVisitorConversation",
        status=404,
    )


# --- receipts ------------------------------------------------------------------------------


def test_receipts_are_idempotent_and_read_implies_delivered(api_client, assert_contract):
    tenant = chat_tenant()
    headers = visitor_headers(tenant)
    conversation = start_conversation(api_client, headers)
    agent = make_agent(tenant)
    sent = api_client.post(
        f"/api/agent-sdk/conversations/{conversation['conversationId']}/messages",
        {"body": "Hello!"},
        format="json",
        **agent_headers(agent),
    ).json()["data"]["message"]
    base = f"/api/chat/conversations/{conversation['conversationId']}/messages/{sent['messageId']}"
    read = assert_contract(api_client.post(f"{base}/read", **headers), "markChatMessageRead", status=200)["data"][
        "receipt"
    ]
    assert read["deliveredAt"]
    assert read["readAt"]
    assert read["participantType"] == "visitor"
    again = assert_contract(api_client.post(f"{base}/read", **headers), "markChatMessageRead", status=200)["data"][
        "receipt"
    ]
    delivered = assert_contract(api_client.post(f"{base}/delivered", **headers), "markChatMessageDelivered", status=200)
    assert again == read
    assert delivered["data"]["receipt"]["readAt"] == read["readAt"]
    by_agent = api_client.post(f"{base}/delivered", **agent_headers(agent))
    assert (
        assert_contract(by_agent, "markChatMessageDelivered", status=200)["data"]["receipt"]["participantType"]
        == "agent"
    )
    anonymous = api_client.post(f"{base}/delivered")
    assert assert_contract(anonymous, "markChatMessageDelivered", status=401)["code"] == "SDK_SESSION_REQUIRED"


def test_chat_token_expiry_slides_forward_on_use(api_client):
    tenant = chat_tenant()
    token = api_client.post(SESSIONS, {}, format="json", **visitor_headers(tenant)).json()["data"]["sessionToken"]
    soon = timezone.now() + timedelta(days=2)
    ChatSession.objects.update(expires_at=soon)
    api_client.get("/api/chat/visitor/tickets/open", HTTP_X_RINGNITY_CHAT_SESSION=token)
    assert ChatSession.objects.get().expires_at > timezone.now() + timedelta(days=29)


def test_agent_token_is_refused_on_visitor_conversation_routes(api_client, assert_contract):
    tenant = chat_tenant()
    conversation = start_conversation(api_client, visitor_headers(tenant))
    agent = agent_headers(make_agent(tenant))
    response = api_client.get(_conversation_url(conversation["conversationId"]), **agent)
    assert assert_contract(response, "getVisitorConversation", status=401)["code"] == "AUTH_TOKEN_INVALID"


def test_receipt_for_a_message_of_another_conversation_is_404(api_client, assert_contract):
    tenant = chat_tenant()
    mine, theirs = visitor_headers(tenant, "vis_a"), visitor_headers(tenant, "vis_b")
    own = start_conversation(api_client, mine)
    foreign_message = send_message(api_client, theirs, start_conversation(api_client, theirs)["conversationId"])
    url = f"/api/chat/conversations/{own['conversationId']}/messages/{foreign_message['messageId']}/read"
    assert_contract(api_client.post(url, **mine), "markChatMessageRead", status=404)


def test_chat_preflight_allows_a_listed_origin_only(api_client):
    tenant = chat_tenant()
    AllowedDomain.objects.create(tenant=tenant, domain="shop.example.com")
    preflight = {"HTTP_ACCESS_CONTROL_REQUEST_METHOD": "POST"}
    allowed = api_client.options(SESSIONS, HTTP_ORIGIN="https://shop.example.com", **preflight)
    assert allowed.status_code == 204
    assert allowed["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert "X-Ringnity-Chat-Session" in allowed["Access-Control-Allow-Headers"]
    refused = api_client.options(SESSIONS, HTTP_ORIGIN="https://evil.example.net", **preflight)
    assert "Access-Control-Allow-Origin" not in refused


def test_pruning_forgets_long_dead_chat_sessions_only(api_client):
    tenant = chat_tenant()
    for _ in range(3):
        api_client.post(SESSIONS, {}, format="json", **visitor_headers(tenant))
    live, expired, revoked = ChatSession.objects.order_by("id")
    ChatSession.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(days=8))
    ChatSession.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now() - timedelta(days=8))
    assert prune_chat_sessions() == 2
    assert prune_chat_sessions() == 0
    assert list(ChatSession.objects.all()) == [live]
