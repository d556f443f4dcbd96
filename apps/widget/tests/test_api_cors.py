"""Every API route the widget calls answers a page on the tenant's allowed domains cross-origin: the preflight
allows the method and the widget's headers, the answer allows the origin (also a refusal the widget must read),
and nothing is allowed for a foreign origin. The gaps the widget found are fixed in the API (README, Web clients):
the AI visitor routes had no CORS, a 401 of a dead chat session was unreadable, the client id named no tenant."""

from __future__ import annotations

import pytest

from apps.ai import services as ai_services
from apps.ai.models import RoutingMode
from apps.ai.tests.factories import ai_tenant, indexed_document
from apps.chat.models import ChatSession
from apps.chat.visitor_services import chat_session_revoke
from apps.developer.models import AllowedDomain

pytestmark = pytest.mark.django_db
ORIGIN = "https://shop.example.com"
FOREIGN = "https://evil.example.net"
WIDGET_HEADERS = "content-type, x-ringnity-chat-session, x-ringnity-tenant, x-ringnity-sdk-session"


@pytest.fixture
def tenant():
    tenant = ai_tenant(features={"chat": True, "ai_chat": True, "voice_call": True, "knowledge_base": True})
    AllowedDomain.objects.create(tenant=tenant, domain="shop.example.com")
    ai_services.routing_mode_set(tenant=tenant, mode=RoutingMode.AI_FIRST)
    indexed_document(tenant, "shipping.txt", "Standard shipping takes three to five business days within Europe.")
    return tenant


def _allowed(response, origin=ORIGIN) -> bool:
    assert "Origin" in response.get("Vary", ""), response
    return response.get("Access-Control-Allow-Origin") == origin


def _call(client, method: str, path: str, token: str | None = None, origin: str = ORIGIN, **kw):
    headers = {"HTTP_ORIGIN": origin}
    if token:
        headers["HTTP_X_RINGNITY_CHAT_SESSION"] = token
    return getattr(client, method)(path, format="json", **headers, **kw)


def test_every_route_the_widget_calls_answers_its_page_cross_origin(api_client, tenant):
    client_id = tenant.public_id
    response = _call(api_client, "get", f"/api/sdk/bootstrap?slug={client_id}")
    assert response.status_code == 200
    assert _allowed(response)
    assert response.json()["data"]["tenant"]["clientId"] == client_id  # the client id names the tenant
    response = _call(api_client, "post", "/api/chat/visitor/sessions", data={}, HTTP_X_RINGNITY_TENANT=client_id)
    assert response.status_code == 201
    assert _allowed(response)
    token = response.json()["data"]["sessionToken"]

    calls = [
        ("get", "/api/ai/visitor/routing", None, 200),
        ("post", "/api/ai/visitor/conversations", {}, 201),
    ]
    for method, path, data, status in calls:
        response = _call(api_client, method, path, token, data=data)
        assert (response.status_code, _allowed(response)) == (status, True), (path, response.content)
    conversation_id = response.json()["data"]["conversationId"]
    conversation = f"/api/chat/visitor/conversations/{conversation_id}"
    chat = {"conversationId": conversation_id, "message": "Shipping?", "metadata": {"clientMessageId": "wgt_1"}}
    calls = [
        ("post", "/api/ai/visitor/chat", chat, 200),
        ("post", "/api/ai/visitor/handoff", {"conversationId": conversation_id}, 200),
        ("get", conversation, None, 200),
        ("post", f"{conversation}/messages", {"body": "Hello", "clientMessageId": "wgt_2"}, 201),
        ("post", "/api/calls/sessions", {"conversationId": conversation_id, "type": "audio"}, 201),
    ]
    for method, path, data, status in calls:
        response = _call(api_client, method, path, token, data=data)
        assert (response.status_code, _allowed(response)) == (status, True), (path, response.content)
    call_id = response.json()["data"]["callSession"]["id"]
    response = _call(api_client, "patch", f"/api/calls/sessions/{call_id}/end", token, data={"reason": "hangup"})
    assert response.status_code == 200
    assert _allowed(response)
    last = api_client.get(conversation, HTTP_X_RINGNITY_CHAT_SESSION=token).json()["data"]["messages"][-1]
    receipt = f"/api/chat/conversations/{conversation_id}/messages/{last['messageId']}/read"
    response = _call(api_client, "post", receipt, token, data={})
    assert response.status_code == 200
    assert _allowed(response)

    response = _call(api_client, "get", f"{conversation}", token, origin=FOREIGN)
    assert not _allowed(response, FOREIGN)
    assert "Access-Control-Allow-Origin" not in response


@pytest.mark.parametrize(
    "path",
    [
        "/api/sdk/session",
        "/api/chat/visitor/sessions",
        "/api/chat/visitor/conversations/conv_x/messages",
        "/api/chat/visitor/conversations/conv_x/attachments/upload",
        "/api/ai/visitor/chat",
        "/api/ai/visitor/handoff",
        "/api/calls/sessions",
        "/api/chat/conversations/conv_x/messages/msg_x/read",
    ],
)
def test_the_preflight_allows_the_widgets_requests_from_an_allowed_origin_only(api_client, tenant, path):
    preflight = {"HTTP_ACCESS_CONTROL_REQUEST_METHOD": "POST", "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": WIDGET_HEADERS}
    allowed = api_client.options(path, HTTP_ORIGIN=ORIGIN, **preflight)
    assert allowed.status_code == 204
    assert _allowed(allowed)
    assert "POST" in allowed["Access-Control-Allow-Methods"]
    sent = {name.strip().lower() for name in WIDGET_HEADERS.split(",")}
    offered = {name.strip().lower() for name in allowed["Access-Control-Allow-Headers"].split(",")}
    if path == "/api/sdk/session":
        sent.discard("x-ringnity-chat-session")
        sent.discard("x-ringnity-tenant")
    assert sent <= offered, path
    refused = api_client.options(path, HTTP_ORIGIN=FOREIGN, **preflight)
    assert "Access-Control-Allow-Origin" not in refused


def test_a_dead_chat_session_is_a_readable_401_so_the_widget_starts_a_new_one(api_client, tenant):
    response = _call(api_client, "post", "/api/chat/visitor/sessions", data={}, HTTP_X_RINGNITY_TENANT=tenant.slug)
    token = response.json()["data"]["sessionToken"]
    chat_session_revoke(session=ChatSession.objects.get(tenant=tenant))
    refused = _call(api_client, "get", "/api/chat/visitor/availability", token)
    assert refused.status_code == 401
    assert _allowed(refused)
    refused = _call(api_client, "get", "/api/ai/visitor/routing", token)
    assert refused.status_code == 401
    assert _allowed(refused)
    foreign = _call(api_client, "get", "/api/chat/visitor/availability", token, origin=FOREIGN)
    assert foreign.status_code == 401
    assert "Access-Control-Allow-Origin" not in foreign
