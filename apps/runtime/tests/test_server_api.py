"""Server API tenant endpoints and runtime-token issuance."""

import pytest

from apps.developer.services import server_api_key_disable, server_api_key_rotate
from apps.developer.tests.factories import ServerApiKeyFactory, server_key_headers
from apps.plans.tests.factories import subscribe
from apps.runtime.tests.fixtures import ALL_SERVER_SCOPES, ready_tenant, server_headers
from apps.runtime.tokens import ADMIN_SCOPES, AGENT_SCOPES, TokenKind, token_decode
from apps.tenants.tests.factories import StaffFactory, TenantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenant():
    return ready_tenant()


@pytest.fixture
def headers(tenant):
    return server_headers(tenant)


def test_health_reports_the_key_and_its_tenant(api_client, assert_contract, tenant):
    key = ServerApiKeyFactory(tenant=tenant, scopes=["server:health"])
    body = assert_contract(api_client.get("/api/server/health", **server_key_headers(key)), "getServerApiHealth", 200)
    assert body["data"]["clientId"] == tenant.public_id
    assert body["data"]["keyId"] == key.public_id


def test_health_needs_a_valid_key(api_client, assert_contract):
    response = api_client.get("/api/server/health")
    assert_contract(response, "getServerApiHealth", status=401)
    assert response.json()["code"] == "SERVER_API_KEY_INVALID"
    response = api_client.get("/api/server/health", HTTP_AUTHORIZATION="Bearer rn_sk_live_nope")
    assert_contract(response, "getServerApiHealth", status=401)


def test_health_works_without_the_server_api_feature(api_client, assert_contract):
    tenant = TenantFactory()
    key = ServerApiKeyFactory(tenant=tenant, scopes=["server:health"])
    assert_contract(api_client.get("/api/server/health", **server_key_headers(key)), "getServerApiHealth", 200)


@pytest.mark.parametrize(
    ("method", "url", "operation", "scope"),
    [
        ("get", "/api/server/health", "getServerApiHealth", "server:health"),
        ("get", "/api/server/tenant", "getServerTenant", "server:tenant:read"),
        ("get", "/api/server/tenant/sdk-readiness", "getSdkReadiness", "server:tenant:read"),
        ("post", "/api/server/visitor-context-token", "createVisitorContextToken", "server:visitor-context:write"),
        ("post", "/api/server/sdk-token/agent", "createAgentToken", "server:agent-token:write"),
        ("post", "/api/server/sdk-token/admin", "createAdminToken", "server:admin-token:write"),
    ],
)
def test_a_key_without_the_operations_scope_is_403(api_client, assert_contract, tenant, method, url, operation, scope):
    key = ServerApiKeyFactory(tenant=tenant, scopes=["server:contacts:read"])
    response = getattr(api_client, method)(url, {}, format="json", **server_key_headers(key))
    assert_contract(response, operation, status=403)
    assert response.json()["code"] == "SERVER_API_SCOPE_DENIED"
    assert response.json()["details"] == [f"missing scope: {scope}"]


def test_data_routes_need_the_server_api_plan_feature(api_client, assert_contract):
    tenant = TenantFactory()
    subscribe(tenant, features={"chat": True})
    response = api_client.get("/api/server/tenant", **server_headers(tenant))
    assert_contract(response, "getServerTenant", status=403)
    assert response.json()["code"] == "FEATURE_NOT_AVAILABLE"


def test_tenant_is_the_keys_tenant(api_client, assert_contract, tenant, headers):
    ready_tenant()
    body = assert_contract(api_client.get("/api/server/tenant", **headers), "getServerTenant", status=200)
    assert body["data"]["tenant"]["clientId"] == tenant.public_id


def test_sdk_readiness_lists_services_ai_and_reports(api_client, assert_contract, headers):
    body = assert_contract(api_client.get("/api/server/tenant/sdk-readiness", **headers), "getSdkReadiness", 200)
    data = body["data"]
    assert {s["key"] for s in data["services"]} >= {"chat", "voice_call", "ai_chat"}
    assert data["reports"]["exportEnabled"] is True
    assert data["sdk"]["tenantActive"] is True
    assert data["sdk"]["webReady"] is False


# --- visitor context tokens ------------------------------------------------------------


def test_visitor_context_token_signs_identity_and_metadata(api_client, assert_contract, tenant, headers):
    body = {"visitor": {"externalId": "cust-1", "email": "c@example.com"}, "metadata": {"tier": "gold"}}
    response = api_client.post("/api/server/visitor-context-token", body, format="json", **headers)
    data = assert_contract(response, "createVisitorContextToken", status=201)["data"]
    assert data["expiresIn"] == 900
    claims = token_decode(data["token"], kinds={TokenKind.VISITOR_CONTEXT})
    assert claims["tid"] == tenant.public_id
    assert claims["sub"] == "cust-1"
    assert claims["ctx"] == {
        "visitor": {"externalId": "cust-1", "email": "c@example.com"},
        "metadata": {"tier": "gold"},
    }


@pytest.mark.parametrize("expires_in", [86401, 10, -1, "soon"])
def test_visitor_context_token_lifetime_is_bounded(api_client, assert_contract, headers, expires_in):
    response = api_client.post("/api/server/visitor-context-token", {"expiresIn": expires_in}, format="json", **headers)
    assert_contract(response, "createVisitorContextToken", status=400)
    assert response.json()["details"][0].startswith("expiresIn:")


def test_visitor_context_token_of_tenant_b_is_refused_by_tenant_a(api_client, assert_contract, tenant):
    other = ready_tenant()
    issued = api_client.post(
        "/api/server/visitor-context-token", {"visitor": {"externalId": "x"}}, format="json", **server_headers(other)
    )
    token = assert_contract(issued, "createVisitorContextToken", status=201)["data"]["token"]
    response = api_client.post("/api/sdk/session", {"slug": tenant.slug, "contextToken": token}, format="json")
    assert_contract(response, "createRuntimeSession", status=401)
    assert response.json()["code"] == "SDK_CONTEXT_TOKEN_INVALID"


# --- agent and admin tokens ------------------------------------------------------------


def test_agent_token_for_an_active_agent_by_id_or_username(api_client, assert_contract, tenant, headers):
    agent = StaffFactory(tenant=tenant)
    for body in ({"agentId": agent.public_id}, {"username": agent.username}):
        response = api_client.post("/api/server/sdk-token/agent", body, format="json", **headers)
        data = assert_contract(response, "createAgentToken", status=201)["data"]
        claims = token_decode(data["token"], kinds={TokenKind.AGENT})
        assert claims["sub"] == agent.public_id
        assert set(data["scopes"]) == AGENT_SCOPES


def test_agent_token_scopes_are_intersected_with_agent_scopes(api_client, assert_contract, tenant, headers):
    agent = StaffFactory(tenant=tenant)
    body = {"agentId": agent.public_id, "scopes": ["agent:profile:read", "admin:read", "platform:write"]}
    response = api_client.post("/api/server/sdk-token/agent", body, format="json", **headers)
    assert assert_contract(response, "createAgentToken", status=201)["data"]["scopes"] == ["agent:profile:read"]
    body["scopes"] = ["platform:write"]
    response = api_client.post("/api/server/sdk-token/agent", body, format="json", **headers)
    assert_contract(response, "createAgentToken", status=400)


def test_agent_token_for_another_tenants_or_an_inactive_agent_is_404(api_client, assert_contract, tenant, headers):
    foreign = StaffFactory(tenant=ready_tenant())
    inactive = StaffFactory(tenant=tenant, is_active=False)
    for body in ({"agentId": foreign.public_id}, {"username": foreign.username}, {"agentId": inactive.public_id}):
        response = api_client.post("/api/server/sdk-token/agent", body, format="json", **headers)
        assert_contract(response, "createAgentToken", status=404)


def test_agent_token_needs_an_agent(api_client, assert_contract, headers):
    response = api_client.post("/api/server/sdk-token/agent", {}, format="json", **headers)
    assert_contract(response, "createAgentToken", status=400)


def test_admin_token_carries_admin_scopes_only(api_client, assert_contract, tenant, headers):
    body = {"adminActorId": "crm-admin-7", "name": "Ann", "role": "admin", "scopes": ["admin:read", "agent:x"]}
    response = api_client.post("/api/server/sdk-token/admin", body, format="json", **headers)
    data = assert_contract(response, "createAdminToken", status=201)["data"]
    assert data["scopes"] == ["admin:read"]
    claims = token_decode(data["token"], kinds={TokenKind.ADMIN})
    assert claims["sub"] == "crm-admin-7"
    assert claims["tid"] == tenant.public_id
    default = api_client.post("/api/server/sdk-token/admin", {}, format="json", **headers).json()["data"]
    assert set(default["scopes"]) == ADMIN_SCOPES


def test_admin_token_expiry_is_bounded(api_client, assert_contract, headers):
    response = api_client.post("/api/server/sdk-token/admin", {"expiresIn": 999999}, format="json", **headers)
    assert_contract(response, "createAdminToken", status=400)


def test_visitor_context_token_reports_oversized_metadata_with_the_other_bad_fields(
    api_client, assert_contract, headers
):
    body = {"metadata": {"notes": "x" * 5000}, "visitor": {"email": "not-an-email"}, "expiresIn": 5}
    response = api_client.post("/api/server/visitor-context-token", body, format="json", **headers)
    assert_contract(response, "createVisitorContextToken", status=400)
    assert {d.split(":")[0] for d in response.json()["details"]} == {"metadata", "visitor.email", "expiresIn"}


def test_agent_token_reports_the_missing_agent_with_the_other_bad_fields(api_client, assert_contract, headers):
    response = api_client.post("/api/server/sdk-token/agent", {"expiresIn": 5}, format="json", **headers)
    assert_contract(response, "createAgentToken", status=400)
    assert {d.split(":")[0] for d in response.json()["details"]} == {"agentId", "expiresIn"}


@pytest.mark.parametrize("end", ["disable", "rotate"])
def test_agent_and_admin_tokens_end_with_the_key_that_issued_them(api_client, assert_contract, tenant, end):
    key = ServerApiKeyFactory(tenant=tenant, scopes=ALL_SERVER_SCOPES)
    agent = StaffFactory(tenant=tenant)
    issued = {
        "agent": api_client.post(
            "/api/server/sdk-token/agent", {"agentId": agent.public_id}, format="json", **server_key_headers(key)
        ),
        "admin": api_client.post("/api/server/sdk-token/admin", {}, format="json", **server_key_headers(key)),
    }
    admin = {"HTTP_X_RINGNITY_SDK_SESSION": issued["admin"].json()["data"]["token"]}
    agent_session = {"HTTP_X_RINGNITY_SDK_SESSION": issued["agent"].json()["data"]["token"]}
    assert_contract(api_client.get("/api/admin-sdk/tenant", **admin), "getAdminTenant", status=200)
    device = {"platform": "ios", "token": "apns-1", "audience": "agent"}
    response = api_client.post("/api/sdk/devices/push-token", device, format="json", **agent_session)
    assert_contract(response, "registerDevicePushToken", status=201)
    if end == "disable":
        server_api_key_disable(tenant=tenant, public_id=key.public_id)
    else:
        server_api_key_rotate(tenant=tenant, public_id=key.public_id)
    response = api_client.get("/api/admin-sdk/tenant", **admin)
    assert_contract(response, "getAdminTenant", status=401)
    assert response.json()["code"] == "AUTH_TOKEN_INVALID"
    response = api_client.post("/api/sdk/devices/push-token", device, format="json", **agent_session)
    assert_contract(response, "registerDevicePushToken", status=401)


def test_visitor_context_metadata_must_be_storable_text(api_client, assert_contract, headers):
    for raw in ('{"metadata": {"a": "\\ud800"}}', '{"metadata": {"a": "x\\u0000"}}'):
        response = api_client.post(
            "/api/server/visitor-context-token", raw.encode(), content_type="application/json", **headers
        )
        assert_contract(response, "createVisitorContextToken", status=400)
        assert response.json()["details"][0].startswith("metadata:")
