"""GET /sdk/developer and POST /sdk/developer/test."""

import pytest

from apps.developer.models import AllowedDomain, ServiceToggle
from apps.identity.sessions import SessionScope, session_issue
from apps.plans.tests.factories import subscribe
from apps.tenants.tests.factories import OwnerFactory, StaffFactory, TenantFactory

pytestmark = pytest.mark.django_db

SETTINGS = "/api/sdk/developer"
TEST = "/api/sdk/developer/test"


def _bearer(user, scope=SessionScope.OWNER):
    return {"HTTP_AUTHORIZATION": f"Bearer {session_issue(user=user, scope=scope).access}"}


@pytest.fixture
def owner():
    tenant = TenantFactory(slug="acme", email="")
    subscribe(tenant, features={"chat": True, "voice_call": True}, quotas={"allowed_domains": 5})
    AllowedDomain.objects.create(tenant=tenant, domain="shop.example.com")
    AllowedDomain.objects.create(tenant=tenant, domain="*.acme.test")
    return OwnerFactory(tenant=tenant)


def test_settings_show_tenant_domains_public_key_and_services(api_client, assert_contract, owner):
    data = assert_contract(api_client.get(SETTINGS, **_bearer(owner)), "getDeveloperSettings", status=200)["data"]
    assert data["tenant"]["clientId"] == owner.tenant.public_id
    assert "email" not in data["tenant"]  # blank e-mail is left out rather than sent as ""
    assert data["allowedDomains"] == ["*.acme.test", "shop.example.com"]
    assert data["publicKey"] == owner.tenant.public_widget_key
    statuses = {s["key"]: s["status"] for s in data["services"]}
    assert statuses["chat"] == "available"
    assert statuses["video_call"] == "not_in_plan"


def test_settings_with_a_workspace_token_of_an_admin(api_client, assert_contract, owner):
    admin = StaffFactory(tenant=owner.tenant, role="admin")
    response = api_client.get(SETTINGS, **_bearer(admin, SessionScope.WORKSPACE))
    assert assert_contract(response, "getDeveloperSettings", status=200)["data"]["tenant"]["slug"] == "acme"


def test_settings_are_closed_to_agents_and_supervisors(api_client, assert_contract, owner):
    for role in ("agent", "supervisor"):
        user = StaffFactory(tenant=owner.tenant, role=role)
        response = api_client.get(SETTINGS, **_bearer(user, SessionScope.WORKSPACE))
        assert assert_contract(response, "getDeveloperSettings", status=403)["code"] == "PERMISSION_DENIED"


def test_settings_without_token_is_401(api_client, assert_contract):
    assert assert_contract(api_client.get(SETTINGS), "getDeveloperSettings", status=401)["code"] == "AUTH_REQUIRED"


def test_settings_of_tenant_b_never_show_tenant_a(api_client, assert_contract, owner):
    other = OwnerFactory(tenant=TenantFactory(slug="beta"))
    data = assert_contract(api_client.get(SETTINGS, **_bearer(other)), "getDeveloperSettings", status=200)["data"]
    assert data["tenant"]["clientId"] == other.tenant.public_id
    assert data["allowedDomains"] == []
    assert data["publicKey"] == other.tenant.public_widget_key


def test_readiness_for_an_allowed_origin_and_service(api_client, assert_contract, owner):
    response = api_client.post(
        TEST, {"origin": "https://shop.example.com", "slug": "acme", "service": "chat"}, format="json", **_bearer(owner)
    )
    data = assert_contract(response, "testDeveloperSdkSettings", status=200)["data"]
    assert data["ready"] is True
    assert data["origin"] == {
        "origin": "https://shop.example.com",
        "valid": True,
        "allowed": True,
        "matchedDomain": "shop.example.com",
    }
    assert data["tenant"] == {"slug": "acme", "active": True, "slugMatches": True}
    assert [s["key"] for s in data["services"]] == ["chat"]


def test_readiness_explains_what_is_missing(api_client, assert_contract, owner):
    ServiceToggle.objects.create(tenant=owner.tenant, service="voice_call", admin_enabled=False)
    response = api_client.post(
        TEST, {"origin": "https://evil.example.net", "slug": "beta", "service": "voice_call"}, **_bearer(owner)
    )
    data = assert_contract(response, "testDeveloperSdkSettings", status=200)["data"]
    assert data["ready"] is False
    assert data["origin"]["allowed"] is False
    assert data["tenant"]["slugMatches"] is False
    assert data["services"][0]["status"] == "disabled_by_admin"
    assert data["services"][0]["reason"]


def test_readiness_without_input_checks_the_tenant_and_lists_every_service(api_client, assert_contract, owner):
    response = api_client.post(TEST, **_bearer(owner))
    data = assert_contract(response, "testDeveloperSdkSettings", status=200)["data"]
    assert data["ready"] is True
    assert "origin" not in data
    assert len(data["services"]) == 6


def test_readiness_rejects_an_unknown_service(api_client, assert_contract, owner):
    body = assert_contract(
        api_client.post(TEST, {"service": "fax"}, format="json", **_bearer(owner)), "testDeveloperSdkSettings", 400
    )
    assert body["details"][0].startswith("service:")


def test_readiness_without_token_is_401(api_client, assert_contract):
    assert_contract(api_client.post(TEST, {}, format="json"), "testDeveloperSdkSettings", status=401)


def test_readiness_of_tenant_b_never_uses_tenant_a_domains(api_client, assert_contract, owner):
    other = OwnerFactory(tenant=TenantFactory(slug="beta"))
    response = api_client.post(TEST, {"origin": "https://shop.example.com", "slug": "acme"}, **_bearer(other))
    data = assert_contract(response, "testDeveloperSdkSettings", status=200)["data"]
    assert data["origin"]["allowed"] is False
    assert data["tenant"] == {"slug": "beta", "active": True, "slugMatches": False}


def test_readiness_rejects_an_unencodable_service_with_a_400_not_a_500(api_client, assert_contract, owner):
    api_client.raise_request_exception = False
    response = api_client.post(TEST, b'{"service": "\\ud800"}', content_type="application/json", **_bearer(owner))
    assert assert_contract(response, "testDeveloperSdkSettings", status=400)["details"][0].startswith("service:")


@pytest.mark.parametrize("body", [[], ["chat"], "chat"])
def test_readiness_refuses_a_body_that_is_not_an_object(api_client, assert_contract, owner, body):
    response = api_client.post(TEST, body, format="json", **_bearer(owner))
    assert assert_contract(response, "testDeveloperSdkSettings", status=400)["code"] == "VALIDATION_FAILED"


@pytest.mark.parametrize("origin", ["https://shop.example.com:\u00b2", "http://[::1"])
def test_readiness_calls_a_malformed_origin_invalid(api_client, assert_contract, owner, origin):
    api_client.raise_request_exception = False
    response = api_client.post(TEST, {"origin": origin}, format="json", **_bearer(owner))
    data = assert_contract(response, "testDeveloperSdkSettings", status=200)["data"]
    assert (data["ready"], data["origin"]["valid"], data["origin"]["allowed"]) == (False, False, False)


def test_settings_read_a_constant_number_of_queries_however_many_domains(
    api_client, assert_contract, owner, django_assert_max_num_queries
):
    subscribe(owner.tenant, features={"chat": True}, quotas={"allowed_domains": 50})
    headers = _bearer(owner)
    assert_contract(api_client.get(SETTINGS, **headers), "getDeveloperSettings", status=200)  # warm the caches
    with django_assert_max_num_queries(10) as few:
        assert_contract(api_client.get(SETTINGS, **headers), "getDeveloperSettings", status=200)
    AllowedDomain.objects.bulk_create(AllowedDomain(tenant=owner.tenant, domain=f"d{n}.example.com") for n in range(30))
    with django_assert_max_num_queries(len(few.captured_queries)):
        data = assert_contract(api_client.get(SETTINGS, **headers), "getDeveloperSettings", status=200)["data"]
    assert len(data["allowedDomains"]) == 32
