"""Tenant endpoints for OAuth apps: the public widget key and adding one allowed domain."""

import secrets
from datetime import timedelta

import pytest
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from apps.developer.models import AllowedDomain
from apps.oauth.tests.factories import allow_clients, make_client
from apps.tenants.tests.factories import OwnerFactory, TenantFactory

pytestmark = pytest.mark.django_db
AccessToken = get_access_token_model()
WIDGET_KEY = "/api/oauth/tenant/widget-key"
DOMAINS = "/api/oauth/tenant/allowed-domains"


def _token(user, oauth_client, scope: str, *, expires_in=900) -> dict:
    """A token as /oauth/token would store it (the flow itself: ``test_scopes.py``, ``test_live_client.py``)."""
    raw = secrets.token_urlsafe(30)
    AccessToken.objects.create(
        user=user,
        application=oauth_client,
        token=raw,
        scope=scope,
        expires=timezone.now() + timedelta(seconds=expires_in),
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def owner():
    tenant = TenantFactory(slug="acme")
    allow_clients(tenant, allowed_domains=2)
    return OwnerFactory(tenant=tenant)


@pytest.fixture
def oauth_client(owner):
    return make_client(owner.tenant)[0]


def test_widget_key_with_developer_read_or_sdk_keys_read(api_client, assert_contract, owner, oauth_client):
    AllowedDomain.objects.create(tenant=owner.tenant, domain="shop.example.com")
    for scope in ("openid developer.read", "openid sdk.keys.read"):
        response = api_client.get(WIDGET_KEY, **_token(owner, oauth_client, scope))
        data = assert_contract(response, "getRingnityOAuthWidgetKey")["data"]
        assert data["tenantId"] == owner.tenant.public_id
        assert data["tenantSlug"] == "acme"
        assert data["publicWidgetKey"] == owner.tenant.public_widget_key
        assert data["allowedDomains"] == ["shop.example.com"]
        assert data["allowedDomainsLimit"] == 2
        assert data["allowedDomainsUsed"] == 1
        assert data["allowedDomainsRemaining"] == 1
        assert data["dashboardDeveloperUrl"].startswith("http")


def test_widget_key_unlimited_domains_are_null(api_client, assert_contract, owner, oauth_client):
    allow_clients(owner.tenant, allowed_domains="unlimited")
    data = assert_contract(
        api_client.get(WIDGET_KEY, **_token(owner, oauth_client, "developer.read")), "getRingnityOAuthWidgetKey"
    )
    assert data["data"]["allowedDomainsLimit"] is None
    assert data["data"]["allowedDomainsRemaining"] is None


def test_a_token_without_the_scope_is_insufficient_scope(api_client, owner, oauth_client):
    response = api_client.get(WIDGET_KEY, **_token(owner, oauth_client, "openid profile"))
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"
    assert "success" not in response.json()
    response = api_client.post(
        DOMAINS, {"domain": "a.example.com"}, format="json", **_token(owner, oauth_client, "developer.read")
    )
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"
    assert not AllowedDomain.objects.exists()


def test_missing_expired_and_dashboard_tokens_are_invalid_token(api_client, owner, oauth_client):
    assert api_client.get(WIDGET_KEY).json()["error"] == "invalid_token"
    expired = _token(owner, oauth_client, "developer.read", expires_in=-1)
    response = api_client.get(WIDGET_KEY, **expired)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
    assert "WWW-Authenticate" in response


def test_add_domain_normalises_and_counts(api_client, assert_contract, owner, oauth_client):
    headers = _token(owner, oauth_client, "tenant.domains.write")
    response = api_client.post(DOMAINS, {"domain": "https://Shop.Example.com/cart"}, format="json", **headers)
    data = assert_contract(response, "addRingnityOAuthAllowedDomain")["data"]
    assert data["domain"] == "shop.example.com"
    assert data["domainAdded"] is True
    assert data["domainAlreadyAllowed"] is False
    assert data["allowedDomains"] == ["shop.example.com"]
    assert data["allowedDomainsRemaining"] == 1


def test_a_domain_already_allowed_exactly_or_by_wildcard_is_200_without_a_write(
    api_client, assert_contract, owner, oauth_client
):
    AllowedDomain.objects.create(tenant=owner.tenant, domain="*.example.com")
    AllowedDomain.objects.create(tenant=owner.tenant, domain="shop.example.org")
    headers = _token(owner, oauth_client, "tenant.domains.write")
    for domain in ("blog.example.com", "shop.example.org", "SHOP.example.org:8443", "*.a.example.com"):
        response = api_client.post(DOMAINS, {"domain": domain}, format="json", **headers)
        data = assert_contract(response, "addRingnityOAuthAllowedDomain")["data"]
        assert data["domainAlreadyAllowed"] is True, domain
        assert data["domainAdded"] is False
    assert AllowedDomain.objects.count() == 2


def test_over_the_allowed_domains_quota_is_409(api_client, assert_contract, owner, oauth_client):
    headers = _token(owner, oauth_client, "tenant.domains.write")
    for domain in ("a.example.com", "b.example.com"):
        assert api_client.post(DOMAINS, {"domain": domain}, format="json", **headers).status_code == 200
    over = api_client.post(DOMAINS, {"domain": "c.example.com"}, format="json", **headers)
    assert assert_contract(over, "addRingnityOAuthAllowedDomain", status=409)["error"] == "invalid_request"
    assert AllowedDomain.objects.count() == 2


@pytest.mark.parametrize("domain", ["*", "ftp://x.example.com", "exa mple.com", ""])
def test_an_invalid_domain_is_400_invalid_request(api_client, assert_contract, owner, oauth_client, domain):
    headers = _token(owner, oauth_client, "tenant.domains.write")
    response = api_client.post(DOMAINS, {"domain": domain}, format="json", **headers)
    assert assert_contract(response, "addRingnityOAuthAllowedDomain", status=400)["error"] == "invalid_request"
    assert not AllowedDomain.objects.exists()


def test_a_non_string_domain_is_400_invalid_request(api_client, owner, oauth_client):
    headers = _token(owner, oauth_client, "tenant.domains.write")
    response = api_client.post(DOMAINS, {"domain": 42}, format="json", **headers)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_the_tenant_is_the_tokens_never_another(api_client, owner, oauth_client):
    other = OwnerFactory(tenant=TenantFactory(slug="other"))
    allow_clients(other.tenant, allowed_domains=5)
    theirs = make_client(other.tenant)[0]
    response = api_client.post(
        DOMAINS, {"domain": "mine.example.com"}, format="json", **_token(owner, oauth_client, "tenant.domains.write")
    )
    assert response.status_code == 200
    assert not AllowedDomain.objects.filter(tenant=other.tenant).exists()
    data = api_client.get(WIDGET_KEY, **_token(other, theirs, "developer.read")).json()["data"]
    assert data["tenantSlug"] == "other"
    assert data["allowedDomains"] == []


def test_a_revoked_clients_token_is_invalid(api_client, owner, oauth_client):
    headers = _token(owner, oauth_client, "developer.read")
    oauth_client.status = "revoked"
    oauth_client.save()
    assert api_client.get(WIDGET_KEY, **headers).status_code == 401


def test_a_user_who_lost_the_admin_role_loses_tenant_scopes_at_once(api_client, owner, oauth_client):
    from apps.tenants.tests.factories import StaffFactory

    admin = StaffFactory(tenant=owner.tenant, username="adm", role="admin")
    headers = _token(admin, oauth_client, "openid developer.read")
    assert api_client.get(WIDGET_KEY, **headers).status_code == 200
    admin.role = "agent"
    admin.save()
    response = api_client.get(WIDGET_KEY, **headers)
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"


def test_userinfo_drops_tenant_claims_of_a_demoted_admin(api_client, assert_contract, owner, oauth_client):
    from apps.tenants.tests.factories import StaffFactory

    admin = StaffFactory(tenant=owner.tenant, username="adm", role="admin")
    headers = _token(admin, oauth_client, "openid profile tenant.read")
    assert "tenant_id" in assert_contract(api_client.get("/api/oauth/userinfo", **headers), "getRingnityOAuthUserInfo")
    admin.role = "agent"
    admin.save()
    body = assert_contract(api_client.get("/api/oauth/userinfo", **headers), "getRingnityOAuthUserInfo")
    assert body == {"sub": admin.public_id, "name": admin.name}
