"""Audit gaps: tenant isolation and constant query counts for routes no other test pinned down.

Each cross-tenant test gives tenant A data that would show in the answer (a domain, a service
toggle, an AI balance) and proves that tenant B's credential sees only B. Each query-count test
reads the route at two sizes after a warm-up call (caches filled), so only the per-row cost counts.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.billing.tests.factories import fund_ai
from apps.developer.models import AllowedDomain, ServerApiKey, ServiceToggle
from apps.developer.tests.factories import ServerApiKeyFactory
from apps.identity.sessions import SessionScope, session_issue
from apps.plans.tests.factories import subscribe
from apps.runtime.bootstrap import bootstrap_cache_invalidate
from apps.runtime.tests.fixtures import ready_tenant, runtime_headers, server_headers
from apps.runtime.tokens import TokenKind, token_decode
from apps.tenants.tests.factories import OwnerFactory, TenantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenant_a():
    tenant = ready_tenant()
    AllowedDomain.objects.create(tenant=tenant, domain="a-shop.example.com")
    ServiceToggle.objects.create(tenant=tenant, service="voice_call", admin_enabled=False)
    fund_ai(tenant, 12_345)
    return tenant


@pytest.fixture
def tenant_b(tenant_a):
    return ready_tenant()


def _admin(tenant):
    return runtime_headers(tenant, TokenKind.ADMIN, subject=f"admin-of-{tenant.slug}")


def _never_mentions(response, tenant):
    text = response.content.decode()
    for secret in (tenant.public_id, tenant.slug, tenant.name, tenant.email, "a-shop.example.com"):
        assert secret not in text


def _service(data, key):
    return next(s for s in data["services"] if s["key"] == key)


def test_admin_tenant_of_tenant_b_is_b_never_a(api_client, assert_contract, tenant_a, tenant_b):
    response = api_client.get("/api/admin-sdk/tenant", **_admin(tenant_b))
    data = assert_contract(response, "getAdminTenant", status=200)["data"]
    assert data["tenant"]["clientId"] == tenant_b.public_id
    _never_mentions(response, tenant_a)


def test_admin_readiness_of_tenant_b_ignores_tenant_a_toggles(api_client, assert_contract, tenant_a, tenant_b):
    mine = assert_contract(api_client.get("/api/admin-sdk/readiness", **_admin(tenant_a)), "getAdminReadiness", 200)
    assert _service(mine["data"], "voice_call")["adminEnabled"] is False
    response = api_client.get("/api/admin-sdk/readiness", **_admin(tenant_b))
    data = assert_contract(response, "getAdminReadiness", status=200)["data"]
    assert _service(data, "voice_call")["adminEnabled"] is True
    _never_mentions(response, tenant_a)


def test_admin_ai_readiness_of_tenant_b_never_shows_tenant_a_balance(api_client, assert_contract, tenant_a, tenant_b):
    mine = api_client.get("/api/admin-sdk/ai-readiness", **_admin(tenant_a))
    assert assert_contract(mine, "getAdminAiReadiness", status=200)["data"]["ai"]["balanceCents"] == 12_345
    response = api_client.get("/api/admin-sdk/ai-readiness", **_admin(tenant_b))
    data = assert_contract(response, "getAdminAiReadiness", status=200)["data"]
    assert data["ai"]["balanceCents"] == 0
    _never_mentions(response, tenant_a)


def test_sdk_readiness_of_tenant_b_key_ignores_tenant_a_toggles(api_client, assert_contract, tenant_a, tenant_b):
    response = api_client.get("/api/server/tenant/sdk-readiness", **server_headers(tenant_b))
    data = assert_contract(response, "getSdkReadiness", status=200)["data"]
    assert _service(data, "voice_call")["adminEnabled"] is True
    _never_mentions(response, tenant_a)


def test_server_tenant_of_tenant_b_key_is_b_never_a(api_client, assert_contract, tenant_a, tenant_b):
    response = api_client.get("/api/server/tenant", **server_headers(tenant_b))
    data = assert_contract(response, "getServerTenant", status=200)["data"]
    assert data["tenant"]["clientId"] == tenant_b.public_id
    _never_mentions(response, tenant_a)


def test_admin_token_from_tenant_b_key_is_bound_to_b(api_client, assert_contract, tenant_a, tenant_b):
    body = {"adminActorId": "crm-admin-9"}
    response = api_client.post("/api/server/sdk-token/admin", body, format="json", **server_headers(tenant_b))
    data = assert_contract(response, "createAdminToken", status=201)["data"]
    assert token_decode(data["token"], kinds={TokenKind.ADMIN})["tid"] == tenant_b.public_id
    tenant_of_token = api_client.get("/api/admin-sdk/tenant", HTTP_X_RINGNITY_SDK_SESSION=data["token"])
    assert assert_contract(tenant_of_token, "getAdminTenant", 200)["data"]["tenant"]["clientId"] == tenant_b.public_id


# --- query counts that do not grow with rows ---------------------------------------------------


def _steady_count(api_client, assert_contract, url, operation, headers):
    assert_contract(api_client.get(url, **headers), operation, status=200)  # warm-up: caches filled
    with CaptureQueriesContext(connection) as ctx:
        assert_contract(api_client.get(url, **headers), operation, status=200)
    return len(ctx)


def test_admin_domains_query_count_does_not_grow_with_domains(api_client, assert_contract, tenant_a):
    headers = _admin(tenant_a)
    few = _steady_count(api_client, assert_contract, "/api/admin-sdk/domains", "getAdminDomains", headers)
    AllowedDomain.objects.bulk_create([AllowedDomain(tenant=tenant_a, domain=f"d{i}.example.com") for i in range(20)])
    many = _steady_count(api_client, assert_contract, "/api/admin-sdk/domains", "getAdminDomains", headers)
    data = api_client.get("/api/admin-sdk/domains", **headers).json()["data"]
    assert len(data["allowedDomains"]) == 21
    assert many == few


@pytest.mark.parametrize(
    ("url", "operation", "credential"),
    [
        ("/api/admin-sdk/readiness", "getAdminReadiness", "admin"),
        ("/api/admin-sdk/services", "getAdminServices", "admin"),
        ("/api/server/tenant/sdk-readiness", "getSdkReadiness", "server"),
    ],
)
def test_service_lists_query_count_does_not_grow_with_toggles(
    api_client, assert_contract, tenant_b, url, operation, credential
):
    headers = _admin(tenant_b) if credential == "admin" else server_headers(tenant_b)
    few = _steady_count(api_client, assert_contract, url, operation, headers)
    for service in ("chat", "voice_call", "video_call", "ai_chat"):
        ServiceToggle.objects.create(tenant=tenant_b, service=service, admin_enabled=False)
    assert _steady_count(api_client, assert_contract, url, operation, headers) == few


# --- dashboard (owner) routes -------------------------------------------------------------------


def _owner_of(slug, server_api_keys):
    tenant = TenantFactory(slug=slug, name=slug.title())
    subscribe(tenant, features={"chat": True, "server_api": True}, quotas={"server_api_keys": server_api_keys})
    owner = OwnerFactory(tenant=tenant)
    return owner, {"HTTP_AUTHORIZATION": f"Bearer {session_issue(user=owner, scope=SessionScope.OWNER).access}"}


def test_owner_session_of_tenant_b_is_b_never_a(api_client, assert_contract):
    owner_a, _ = _owner_of("alpha", 1)
    owner_b, headers_b = _owner_of("bravo", 1)
    response = api_client.get("/api/auth/owner-me", **headers_b)
    data = assert_contract(response, "getOwnerSession", status=200)["data"]
    assert data["client"]["id"] == owner_b.tenant.public_id
    assert owner_a.tenant.public_id not in response.content.decode()
    assert owner_a.email not in response.content.decode()


def test_a_credential_created_by_tenant_b_is_b_s_and_a_s_full_quota_does_not_count(api_client, assert_contract):
    owner_a, headers_a = _owner_of("alpha", 1)
    ServerApiKeyFactory(tenant=owner_a.tenant)  # A is at its quota of 1
    owner_b, headers_b = _owner_of("bravo", 1)
    url = "/api/sdk/developer/server-api-credentials"
    response = api_client.post(url, {"name": "B's backend", "scopes": ["server:health"]}, format="json", **headers_b)
    created = assert_contract(response, "createServerApiCredential", status=201)["data"]
    created_id = created["credential"]["id"]
    assert ServerApiKey.objects.for_tenant(owner_b.tenant).get().public_id == created_id
    listed_a = assert_contract(api_client.get(url, **headers_a), "listServerApiCredentials", status=200)["data"]
    assert created_id not in {c["id"] for c in listed_a["credentials"]}


def test_uncached_bootstrap_query_count_does_not_grow_with_domains_or_toggles(api_client, assert_contract, tenant_b):
    def cold_count():
        assert_contract(api_client.get("/api/sdk/bootstrap", {"slug": tenant_b.slug}), "bootstrapRuntime", 200)
        bootstrap_cache_invalidate(tenant=tenant_b)  # only the bootstrap answer is cold; other caches stay warm
        with CaptureQueriesContext(connection) as ctx:
            response = api_client.get("/api/sdk/bootstrap", {"slug": tenant_b.slug})
        assert_contract(response, "bootstrapRuntime", status=200)
        return len(ctx)

    few = cold_count()
    assert few > 0  # really recomputed, not served from the cache
    AllowedDomain.objects.bulk_create([AllowedDomain(tenant=tenant_b, domain=f"d{i}.example.com") for i in range(20)])
    for service in ("chat", "voice_call", "video_call", "ai_chat"):
        ServiceToggle.objects.create(tenant=tenant_b, service=service, admin_enabled=False)
    assert cold_count() == few


def test_developer_sdk_test_query_count_does_not_grow_with_domains(api_client, assert_contract):
    owner, headers = _owner_of("alpha", 1)
    body = {"origin": "https://d19.example.com", "slug": "alpha"}

    def count():
        url = "/api/sdk/developer/test"
        assert_contract(api_client.post(url, body, format="json", **headers), "testDeveloperSdkSettings", 200)
        with CaptureQueriesContext(connection) as ctx:
            response = api_client.post(url, body, format="json", **headers)
        return len(ctx), assert_contract(response, "testDeveloperSdkSettings", status=200)["data"]

    AllowedDomain.objects.create(tenant=owner.tenant, domain="shop.example.com")
    few, data = count()
    assert data["origin"]["allowed"] is False
    AllowedDomain.objects.bulk_create(
        [AllowedDomain(tenant=owner.tenant, domain=f"d{i}.example.com") for i in range(20)]
    )
    many, data = count()
    assert data["origin"]["allowed"] is True
    assert many == few
