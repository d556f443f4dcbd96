"""A tenant can turn the AI on: ``GET/PUT /sdk/developer/ai-routing`` for the owner and admins (issue 18)."""

import pytest

from apps.ai.models import AiSettings
from apps.ai.tests.factories import ai_tenant, indexed_document, visitor_headers
from apps.identity.sessions import SessionScope
from apps.identity.tests.fixtures import dashboard_headers
from apps.tenants.tests.factories import OwnerFactory, StaffFactory

pytestmark = pytest.mark.django_db

ROUTING = "/api/sdk/developer/ai-routing"
SDP_OFFER = "v=0\r\no=- 46117317 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"


@pytest.fixture
def owner():
    tenant = ai_tenant()
    indexed_document(tenant, "shipping.txt", "Standard shipping takes three to five business days within Europe.")
    return OwnerFactory(tenant=tenant)


def test_the_owner_turns_the_ai_on_and_visitors_get_answers(api_client, assert_contract, owner):
    tenant = owner.tenant
    ask = {"message": "How long does shipping take?"}
    refused = api_client.post("/api/ai/visitor/chat", ask, format="json", **visitor_headers(tenant))
    body = assert_contract(refused, "sendAiVisitorMessage", status=403)
    assert "PUT /api/sdk/developer/ai-routing" in body["message"]  # the 403 says where to change it
    assert body["details"] == ["mode: human_only", "change: PUT /api/sdk/developer/ai-routing"]

    data = assert_contract(api_client.get(ROUTING, **dashboard_headers(owner)), "getDeveloperAiRouting", 200)["data"]
    assert (data["mode"], data["canUseAi"]) == ("human_only", False)
    response = api_client.put(ROUTING, {"mode": "ai_first"}, format="json", **dashboard_headers(owner))
    data = assert_contract(response, "updateDeveloperAiRouting", 200)["data"]
    assert (data["mode"], data["canUseAi"]) == ("ai_first", True)
    assert (
        assert_contract(api_client.get(ROUTING, **dashboard_headers(owner)), "getDeveloperAiRouting", 200)["data"]
        == data
    )

    answered = api_client.post("/api/ai/visitor/chat", ask, format="json", **visitor_headers(tenant))
    assert "three to five business days" in assert_contract(answered, "sendAiVisitorMessage", 200)["data"]["message"]


def test_admins_may_agents_and_supervisors_may_not(api_client, assert_contract, owner):
    admin = StaffFactory(tenant=owner.tenant, role="admin")
    response = api_client.put(
        ROUTING, {"mode": "ai_assisted"}, format="json", **dashboard_headers(admin, SessionScope.WORKSPACE)
    )
    assert assert_contract(response, "updateDeveloperAiRouting", 200)["data"]["mode"] == "ai_assisted"
    for role in ("agent", "supervisor"):
        user = StaffFactory(tenant=owner.tenant, role=role)
        headers = dashboard_headers(user, SessionScope.WORKSPACE)
        response = api_client.put(ROUTING, {"mode": "human_only"}, format="json", **headers)
        assert assert_contract(response, "updateDeveloperAiRouting", 403)["code"] == "PERMISSION_DENIED"
        assert assert_contract(api_client.get(ROUTING, **headers), "getDeveloperAiRouting", 403)["code"] == (
            "PERMISSION_DENIED"
        )
    assert AiSettings.objects.get(tenant=owner.tenant).routing_mode == "ai_assisted"


def test_bad_input_and_missing_sessions_change_nothing(api_client, assert_contract, owner):
    for body in ({"mode": "robots_only"}, {}, {"mode": None}):
        response = api_client.put(ROUTING, body, format="json", **dashboard_headers(owner))
        assert assert_contract(response, "updateDeveloperAiRouting", 400)["code"] == "VALIDATION_FAILED"
    assert assert_contract(api_client.get(ROUTING), "getDeveloperAiRouting", 401)["success"] is False
    assert (
        assert_contract(api_client.get(ROUTING, **visitor_headers(owner.tenant)), "getDeveloperAiRouting", 401)[
            "success"
        ]
        is False
    )
    assert not AiSettings.objects.filter(tenant=owner.tenant).exists()


def test_each_tenant_sets_only_its_own_mode(api_client, assert_contract, owner):
    other = OwnerFactory(tenant=ai_tenant())
    api_client.put(ROUTING, {"mode": "ai_first"}, format="json", **dashboard_headers(owner))
    data = assert_contract(api_client.get(ROUTING, **dashboard_headers(other)), "getDeveloperAiRouting", 200)["data"]
    assert data["mode"] == "human_only"


def test_voice_needs_ai_first_and_the_403_says_so(api_client, assert_contract, owner, fake_provider):
    api_client.put(ROUTING, {"mode": "ai_assisted"}, format="json", **dashboard_headers(owner))
    response = api_client.post(
        "/api/ai/visitor/realtime/call", SDP_OFFER, content_type="application/sdp", **visitor_headers(owner.tenant)
    )
    body = assert_contract(response, "createAiVisitorRealtimeCall", status=403)
    assert "ai_assisted" in body["message"]
    assert "change: PUT /api/sdk/developer/ai-routing" in body["details"]
    assert fake_provider.requests == []
