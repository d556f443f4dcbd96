"""One anonymous-start budget per client address and tenant, whatever the way in (issue 22 F4).

The ways a caller without a vouched identity gets a new visitor that can start a conversation:
the tenant-header session start, the tenant-header conversation start, and ``POST /sdk/session``
without a context token (each mints a fresh visitor identity). They all draw on one budget.
"""

import pytest

from apps.chat.models import Conversation, Visitor
from apps.chat.tests.chat_fixtures import chat_tenant
from apps.developer.models import AllowedDomain
from apps.runtime.tests.fixtures import server_headers

pytestmark = pytest.mark.django_db

SESSIONS = "/api/chat/visitor/sessions"
CONVERSATIONS = "/api/chat/visitor/conversations"
SDK_SESSION = "/api/sdk/session"
BUDGET = 3


@pytest.fixture
def shop(settings):
    settings.CHAT_ANONYMOUS_STARTS_PER_IP = BUDGET
    return chat_tenant(slug="shop")


def _refused(response, operation, assert_contract):
    body = assert_contract(response, operation, status=429)
    assert body["code"] == "RATE_LIMITED"
    assert 0 < int(response["Retry-After"]) <= 600
    return body


def test_sdk_session_draws_on_the_anonymous_start_budget(api_client, assert_contract, shop):
    for _ in range(BUDGET):
        assert api_client.post(CONVERSATIONS, {}, format="json", HTTP_X_RINGNITY_TENANT="shop").status_code == 201
    minted = api_client.post(SDK_SESSION, {"slug": "shop"}, format="json")
    _refused(minted, "createRuntimeSession", assert_contract)
    assert Conversation.objects.for_tenant(shop).count() == BUDGET


def test_tokens_minted_by_sdk_session_use_up_the_budget_of_anonymous_starts(api_client, assert_contract, shop):
    tokens = []
    for _ in range(BUDGET):
        response = api_client.post(SDK_SESSION, {"slug": "shop"}, format="json")
        tokens.append(assert_contract(response, "createRuntimeSession", status=201)["data"]["sessionToken"])
    _refused(api_client.post(SDK_SESSION, {"slug": "shop"}, format="json"), "createRuntimeSession", assert_contract)
    for start in (SESSIONS, CONVERSATIONS):
        refused = api_client.post(start, {}, format="json", HTTP_X_RINGNITY_TENANT="shop")
        _refused(
            refused,
            "createVisitorConversation" if start == CONVERSATIONS else "createVisitorChatSession",
            assert_contract,
        )
    # Each minted token was counted once, when it was minted: it still starts its conversation.
    for token in tokens:
        started = api_client.post(CONVERSATIONS, {}, format="json", HTTP_X_RINGNITY_SDK_SESSION=token)
        assert_contract(started, "createVisitorConversation", status=201)
    assert Conversation.objects.for_tenant(shop).count() == BUDGET
    assert Visitor.objects.for_tenant(shop).count() == BUDGET


def test_the_budget_is_per_address_and_per_tenant(api_client, assert_contract, shop):
    chat_tenant(slug="other")
    for _ in range(BUDGET):
        api_client.post(SDK_SESSION, {"slug": "shop"}, format="json")
    _refused(api_client.post(SDK_SESSION, {"slug": "shop"}, format="json"), "createRuntimeSession", assert_contract)
    other_tenant = api_client.post(SDK_SESSION, {"slug": "other"}, format="json")
    assert_contract(other_tenant, "createRuntimeSession", status=201)
    other_address = api_client.post(SDK_SESSION, {"slug": "shop"}, format="json", REMOTE_ADDR="192.0.2.77")
    assert_contract(other_address, "createRuntimeSession", status=201)


def test_a_visitor_vouched_for_by_the_tenants_backend_is_not_an_anonymous_start(api_client, assert_contract, shop):
    context = api_client.post(
        "/api/server/visitor-context-token",
        {"visitor": {"externalId": "cust-1"}},
        format="json",
        **server_headers(shop),
    ).json()["data"]["token"]
    for _ in range(BUDGET):
        api_client.post(SDK_SESSION, {"slug": "shop"}, format="json")
    verified = api_client.post(SDK_SESSION, {"slug": "shop", "contextToken": context}, format="json")
    assert_contract(verified, "createRuntimeSession", status=201)


def test_a_refused_start_from_an_allowed_origin_is_readable_by_the_widget(api_client, assert_contract, shop):
    AllowedDomain.objects.create(tenant=shop, domain="shop.example.com")
    origin = {"HTTP_X_RINGNITY_TENANT": "shop", "HTTP_ORIGIN": "https://shop.example.com"}
    for _ in range(BUDGET):
        assert api_client.post(SESSIONS, {}, format="json", **origin).status_code == 201
    refused = api_client.post(CONVERSATIONS, {}, format="json", **origin)
    _refused(refused, "createVisitorConversation", assert_contract)
    assert refused["Access-Control-Allow-Origin"] == "https://shop.example.com"
