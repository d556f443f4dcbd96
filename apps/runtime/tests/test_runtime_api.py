"""SDK runtime: bootstrap (cached), sessions (origin + context token), CORS."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.billing.services import ai_balance_top_up
from apps.billing.tests.factories import fund_ai
from apps.developer.models import AllowedDomain, ServiceToggle
from apps.plans.tests.factories import subscribe
from apps.runtime.bootstrap import bootstrap_cache_invalidate
from apps.runtime.services import visitor_context_token_issue
from apps.runtime.tests.fixtures import ready_tenant
from apps.runtime.tokens import TokenKind, token_decode
from ringnity.testing.contract import assert_contract

pytestmark = pytest.mark.django_db
ORIGIN = "https://shop.example.com"


@pytest.fixture
def tenant():
    tenant = ready_tenant()
    AllowedDomain.objects.create(tenant=tenant, domain="shop.example.com")
    AllowedDomain.objects.create(tenant=tenant, domain="*.apps.example.com")
    return tenant


def _bootstrap(client, **params):
    """GET /sdk/bootstrap; whatever the status, the answer must match the contract."""
    response = client.get(
        "/api/sdk/bootstrap", params, **({"HTTP_ORIGIN": params.pop("origin")} if "origin" in params else {})
    )
    assert_contract(response, "bootstrapRuntime")
    return response


# --- health ----------------------------------------------------------------------------


def test_runtime_health_is_public(api_client, assert_contract):
    body = assert_contract(api_client.get("/api/sdk/health"), "getRuntimeHealth", status=200)
    assert body["data"]["status"] == "ok"


# --- bootstrap -------------------------------------------------------------------------


def test_bootstrap_by_slug_returns_tenant_branding_services_and_sdk_settings(api_client, assert_contract, tenant):
    body = assert_contract(_bootstrap(api_client, slug=tenant.slug), "bootstrapRuntime", status=200)
    data = body["data"]
    assert data["tenant"]["clientId"] == tenant.public_id
    services = {s["key"]: s for s in data["services"]}
    assert services["chat"]["status"] == "available"
    assert services["video_call"]["status"] == "not_in_plan"
    assert all("reason" not in s for s in data["services"])
    assert data["sdk"]["sessionHeader"] == "X-Ringnity-SDK-Session"


def test_bootstrap_by_legacy_public_key(api_client, assert_contract, tenant):
    body = assert_contract(_bootstrap(api_client, apiKey=tenant.public_widget_key), "bootstrapRuntime", status=200)
    assert body["data"]["tenant"]["slug"] == tenant.slug


def test_bootstrap_debug_adds_the_reason_of_each_blocked_service(api_client, assert_contract, tenant):
    body = assert_contract(_bootstrap(api_client, slug=tenant.slug, debug="true"), "bootstrapRuntime", status=200)
    video = next(s for s in body["data"]["services"] if s["key"] == "video_call")
    assert video["reason"] == "Not included in the current plan."


def test_bootstrap_unknown_tenant_is_404_and_inactive_is_403(api_client, assert_contract, tenant):
    response = _bootstrap(api_client, slug="no-such-tenant")
    assert_contract(response, "bootstrapRuntime", status=404)
    assert response.json()["code"] == "SDK_CLIENT_NOT_FOUND"
    assert _bootstrap(api_client, apiKey="rn_pk_unknown").json()["code"] == "SDK_CLIENT_NOT_FOUND"
    tenant.is_active = False
    tenant.save()
    response = _bootstrap(api_client, slug=tenant.slug)
    assert_contract(response, "bootstrapRuntime", status=403)
    assert response.json()["code"] == "SDK_CLIENT_INACTIVE"


def test_bootstrap_without_slug_or_key_is_400(api_client, assert_contract):
    response = api_client.get("/api/sdk/bootstrap")
    assert_contract(response, "bootstrapRuntime", status=400)
    assert response.json()["details"]


def test_bootstrap_is_answered_from_the_cache_after_the_first_call(api_client, assert_contract, tenant):
    with CaptureQueriesContext(connection) as first:
        assert_contract(_bootstrap(api_client, slug=tenant.slug), "bootstrapRuntime", status=200)
    with CaptureQueriesContext(connection) as second:
        assert_contract(_bootstrap(api_client, slug=tenant.slug), "bootstrapRuntime", status=200)
    assert len(first) > 0
    assert len(second) == 0, [q["sql"] for q in second.captured_queries]


def _service(client, tenant, key):
    data = _bootstrap(client, slug=tenant.slug).json()["data"]
    return next(s for s in data["services"] if s["key"] == key)


def test_bootstrap_cache_is_invalidated_by_a_service_toggle(api_client, tenant):
    assert _service(api_client, tenant, "chat")["status"] == "available"
    ServiceToggle.objects.create(tenant=tenant, service="chat", admin_enabled=False)
    assert _service(api_client, tenant, "chat")["status"] == "disabled_by_admin"


def test_bootstrap_cache_is_invalidated_by_a_plan_change(api_client, tenant):
    assert _service(api_client, tenant, "video_call")["status"] == "not_in_plan"
    subscribe(tenant, features={"chat": True, "video_call": True, "server_api": True})
    assert _service(api_client, tenant, "video_call")["status"] == "available"


def test_bootstrap_cache_is_invalidated_by_a_tenant_change(api_client, tenant):
    _bootstrap(api_client, slug=tenant.slug)
    tenant.name = "Renamed"
    tenant.save()
    assert _bootstrap(api_client, slug=tenant.slug).json()["data"]["tenant"]["name"] == "Renamed"


def test_bootstrap_cache_is_invalidated_by_a_domain_change(api_client, tenant):
    origin = "https://new.example.org"
    assert "Access-Control-Allow-Origin" not in _bootstrap(api_client, slug=tenant.slug, origin=origin)
    AllowedDomain.objects.create(tenant=tenant, domain="new.example.org")
    assert _bootstrap(api_client, slug=tenant.slug, origin=origin)["Access-Control-Allow-Origin"] == origin


# --- CORS ------------------------------------------------------------------------------


def test_cors_allows_exactly_an_allowed_origin_and_varies_on_origin(api_client, tenant):
    response = _bootstrap(api_client, slug=tenant.slug, origin=ORIGIN)
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert "Origin" in response["Vary"]
    assert "Access-Control-Allow-Credentials" not in response
    wildcard = _bootstrap(api_client, slug=tenant.slug, origin="https://a.apps.example.com")
    assert wildcard["Access-Control-Allow-Origin"] == "https://a.apps.example.com"


def test_cors_never_allows_a_foreign_origin_or_star(api_client, tenant):
    response = _bootstrap(api_client, slug=tenant.slug, origin="https://evil.example.net")
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response
    assert "Origin" in response["Vary"]


def test_preflight_for_the_tenant_in_the_query_allows_its_origin(api_client, tenant):
    response = api_client.options(
        f"/api/sdk/session?slug={tenant.slug}",
        HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert "Content-Type" in response["Access-Control-Allow-Headers"]
    assert "Origin" in response["Vary"]


def test_preflight_without_a_tenant_allows_only_origins_some_active_tenant_lists(api_client, tenant):
    def preflight(origin):
        return api_client.options(
            "/api/sdk/devices/push-token", HTTP_ORIGIN=origin, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
        )

    assert preflight(ORIGIN)["Access-Control-Allow-Origin"] == ORIGIN
    assert "Access-Control-Allow-Origin" not in preflight("https://evil.example.net")
    other = ready_tenant()
    AllowedDomain.objects.create(tenant=other, domain="inactive.example.org")
    other.is_active = False
    other.save()
    assert "Access-Control-Allow-Origin" not in preflight("https://inactive.example.org")


def test_preflight_for_another_tenant_does_not_allow_this_tenants_origin(api_client, tenant):
    other = ready_tenant()
    response = api_client.options(
        f"/api/sdk/session?slug={other.slug}", HTTP_ORIGIN=ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert "Access-Control-Allow-Origin" not in response


# --- sessions --------------------------------------------------------------------------


def _session(client, body, origin=None):
    """POST /sdk/session; whatever the status, the answer must match the contract."""
    extra = {"HTTP_ORIGIN": origin} if origin else {}
    response = client.post("/api/sdk/session", body, format="json", **extra)
    assert_contract(response, "createRuntimeSession")
    return response


def _claims(response):
    return token_decode(response.json()["data"]["sessionToken"], kinds={TokenKind.VISITOR})


def test_session_from_an_allowed_origin_issues_a_15_minute_visitor_token(api_client, assert_contract, tenant):
    response = _session(api_client, {"slug": tenant.slug}, origin=ORIGIN)
    body = assert_contract(response, "createRuntimeSession", status=201)
    assert body["data"]["expiresIn"] == 900
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    claims = _claims(response)
    assert claims["tid"] == tenant.public_id
    assert claims["knd"] == "visitor"
    assert claims["sub"].startswith("vis_")
    assert claims["ctx"]["verified"] is False


def test_session_by_public_key_and_without_origin(api_client, assert_contract, tenant):
    response = _session(api_client, {"apiKey": tenant.public_widget_key})
    assert_contract(response, "createRuntimeSession", status=201)


@pytest.mark.parametrize(
    "origin",
    ["https://evil.example.net", "https://shop.example.com.evil.io", "https://apps.example.com", "null"],
)
def test_session_from_a_foreign_origin_is_403(api_client, assert_contract, tenant, origin):
    response = _session(api_client, {"slug": tenant.slug}, origin=origin)
    assert_contract(response, "createRuntimeSession", status=403)
    assert response.json()["code"] == "SDK_ORIGIN_NOT_ALLOWED"
    assert "Access-Control-Allow-Origin" not in response


def test_session_origin_is_checked_against_its_own_tenant_only(api_client, assert_contract, tenant):
    other = ready_tenant()
    response = _session(api_client, {"slug": other.slug}, origin=ORIGIN)
    assert_contract(response, "createRuntimeSession", status=403)


def test_session_unknown_and_inactive_tenants(api_client, assert_contract, tenant):
    response = _session(api_client, {"slug": "nobody-here"})
    assert_contract(response, "createRuntimeSession", status=404)
    assert response.json()["code"] == "SDK_CLIENT_NOT_FOUND"
    tenant.is_active = False
    tenant.save()
    response = _session(api_client, {"slug": tenant.slug}, origin=ORIGIN)
    assert_contract(response, "createRuntimeSession", status=403)
    assert response.json()["code"] == "SDK_CLIENT_INACTIVE"


def test_session_context_token_identity_wins_over_the_body(api_client, assert_contract, tenant):
    context = visitor_context_token_issue(
        tenant=tenant,
        visitor={"externalId": "cust-42", "email": "real@example.com", "name": "Real"},
        metadata={"plan": "gold"},
        expires_in=300,
    )
    body = {
        "slug": tenant.slug,
        "contextToken": context.token,
        "visitor": {"externalId": "someone-else", "email": "fake@example.com"},
    }
    response = _session(api_client, body, origin=ORIGIN)
    assert_contract(response, "createRuntimeSession", status=201)
    claims = _claims(response)
    assert claims["sub"] == "ext:cust-42"
    assert claims["ctx"]["verified"] is True
    assert claims["ctx"]["visitor"]["email"] == "real@example.com"
    assert claims["ctx"]["metadata"] == {"plan": "gold"}


def test_session_body_identity_is_kept_but_never_becomes_the_subject(api_client, tenant):
    response = _session(api_client, {"slug": tenant.slug, "visitor": {"externalId": "cust-42"}})
    claims = _claims(response)
    assert claims["sub"] != "ext:cust-42"
    assert claims["ctx"]["visitor"] == {"externalId": "cust-42"}


def test_session_refuses_bad_expired_and_foreign_context_tokens(api_client, assert_contract, tenant):
    other = ready_tenant()
    foreign = visitor_context_token_issue(tenant=other, visitor={"externalId": "x"}, metadata={}, expires_in=300)
    expired = visitor_context_token_issue(tenant=tenant, visitor={"externalId": "x"}, metadata={}, expires_in=-1)
    good = visitor_context_token_issue(tenant=tenant, visitor={"externalId": "x"}, metadata={}, expires_in=300)
    tampered = good.token[:-3] + ("aaa" if not good.token.endswith("aaa") else "bbb")
    for token in (foreign.token, expired.token, tampered, "garbage"):
        response = _session(api_client, {"slug": tenant.slug, "contextToken": token}, origin=ORIGIN)
        assert_contract(response, "createRuntimeSession", status=401)
        assert response.json()["code"] == "SDK_CONTEXT_TOKEN_INVALID"


def test_a_runtime_session_token_is_not_a_context_token(api_client, tenant):
    session = _session(api_client, {"slug": tenant.slug}).json()["data"]["sessionToken"]
    response = _session(api_client, {"slug": tenant.slug, "contextToken": session})
    assert_contract(response, "createRuntimeSession", status=401)
    assert response.json()["code"] == "SDK_CONTEXT_TOKEN_INVALID"


def test_session_validation_lists_each_bad_field(api_client, assert_contract, tenant):
    response = _session(api_client, {"slug": tenant.slug, "visitor": {"email": "nope", "name": "x" * 201}})
    assert_contract(response, "createRuntimeSession", status=400)
    assert {d.split(":")[0] for d in response.json()["details"]} == {"visitor.email", "visitor.name"}


def test_a_cached_bootstrap_of_a_deactivated_tenant_turns_403(api_client, assert_contract, tenant):
    assert_contract(_bootstrap(api_client, slug=tenant.slug), "bootstrapRuntime", status=200)
    tenant.is_active = False
    tenant.save()
    response = _bootstrap(api_client, slug=tenant.slug)
    assert_contract(response, "bootstrapRuntime", status=403)
    assert response.json()["code"] == "SDK_CLIENT_INACTIVE"


def test_bulk_domain_writes_invalidate_through_the_explicit_call(api_client, tenant):
    origin = "https://bulk.example.org"
    _bootstrap(api_client, slug=tenant.slug, origin=origin)
    AllowedDomain.objects.bulk_create([AllowedDomain(tenant=tenant, domain="bulk.example.org")])  # no signal
    bootstrap_cache_invalidate(tenant=tenant)
    assert _bootstrap(api_client, slug=tenant.slug, origin=origin)["Access-Control-Allow-Origin"] == origin


@pytest.mark.parametrize("origin", ["http://[", "https://[::1"])
def test_a_malformed_origin_is_refused_never_a_500(api_client, assert_contract, tenant, origin):
    response = _session(api_client, {"slug": tenant.slug}, origin=origin)
    assert_contract(response, "createRuntimeSession", status=403)
    assert response.json()["code"] == "SDK_ORIGIN_NOT_ALLOWED"
    response = _bootstrap(api_client, slug=tenant.slug, origin=origin)
    assert_contract(response, "bootstrapRuntime", status=200)
    assert "Access-Control-Allow-Origin" not in response
    preflight = api_client.options("/api/sdk/session", HTTP_ORIGIN=origin, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    assert preflight.status_code == 204
    assert "Access-Control-Allow-Origin" not in preflight


@pytest.mark.parametrize("params", [{"slug": "a\x00b"}, {"apiKey": "rn_pk_\x00"}, {"slug": "x" * 5000}])
def test_an_impossible_slug_or_key_is_not_found_never_a_500(api_client, assert_contract, tenant, params):
    response = _bootstrap(api_client, **params)
    assert_contract(response, "bootstrapRuntime", status=404)
    assert response.json()["code"] == "SDK_CLIENT_NOT_FOUND"
    query = "&".join(f"{key}={value}" for key, value in params.items()).replace("\x00", "%00")
    response = api_client.post(f"/api/sdk/session?{query}", {}, format="json")
    assert_contract(response, "createRuntimeSession", status=404)
    preflight = api_client.options(
        f"/api/sdk/session?{query}", HTTP_ORIGIN=ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert preflight.status_code == 204
    assert "Access-Control-Allow-Origin" not in preflight


def test_a_blank_slug_beside_a_key_is_cached_under_the_key_not_shared_between_tenants(api_client, tenant):
    other = ready_tenant()
    first = _bootstrap(api_client, slug=" ", apiKey=tenant.public_widget_key).json()["data"]
    second = _bootstrap(api_client, slug=" ", apiKey=other.public_widget_key).json()["data"]
    assert first["tenant"]["clientId"] == tenant.public_id
    assert second["tenant"]["clientId"] == other.public_id


def test_bootstrap_cache_is_invalidated_when_the_ai_balance_changes(api_client, tenant, settings):
    settings.AI_PROVIDER_BASE_URL, settings.AI_PROVIDER_API_KEY = "http://127.0.0.1:9/v1", "test-key"
    subscribe(tenant, features={"chat": True, "ai_chat": True}, quotas={"ai_chat_replies": "disabled"})
    fund_ai(tenant, 0, block_on_zero=True, overage_enabled=False)
    assert _service(api_client, tenant, "ai_chat")["status"] == "ai_not_ready"
    ai_balance_top_up(tenant=tenant, amount_cents=500)
    assert _service(api_client, tenant, "ai_chat")["status"] == "available"
