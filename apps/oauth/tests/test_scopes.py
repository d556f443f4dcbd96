"""The scope catalog against the contract, and the rule that makes a planned scope available.

The rule (``apps.oauth.scopes``): a scope the contract's ``x-ringnity-oauth-scope-coverage.plannedScopes``
lists is available when its entry says ``documented`` and this server serves every operation it
names; anything else it lists stays planned. The available set is derived here from the contract
and the URL conf (the operations the generated schema finds), not copied from the module.
"""

import secrets
from urllib.parse import urlsplit

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from drf_spectacular.generators import SchemaGenerator

from apps.developer.models import AllowedDomain
from apps.oauth import scopes as catalog
from apps.oauth.tests.factories import CALLBACK, allow_clients, post_form
from apps.tenants.tests.factories import DEFAULT_PASSWORD, OwnerFactory, TenantFactory
from ringnity.testing.contract import load_contract


def _served_operation_ids() -> set[str]:
    schema = SchemaGenerator(urlconf="ringnity.urls").get_schema(request=None, public=True)
    return {
        operation["operationId"]
        for item in schema["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    }


def _derived_available() -> set[str]:
    contract = load_contract()
    coverage = contract["x-ringnity-oauth-scope-coverage"]["plannedScopes"]
    served = _served_operation_ids()
    available = set()
    for scope in contract["components"]["schemas"]["OAuthScope"]["enum"]:
        entry = coverage.get(scope)
        if entry is None or (entry["openApiStatus"] == "documented" and set(entry["operationIds"]) <= served):
            available.add(scope)
    return available


def test_the_scope_catalog_is_the_contracts():
    enum = load_contract()["components"]["schemas"]["OAuthScope"]["enum"]
    assert [info.scope for info in catalog.CATALOG] == enum
    assert all(info.description and info.category for info in catalog.CATALOG)


def test_the_available_scopes_follow_from_the_contract_coverage_and_the_served_operations():
    derived = _derived_available()
    assert set(catalog.AVAILABLE_SCOPES) == derived
    assert {info.scope for info in catalog.CATALOG} - derived == set(catalog.PLANNED_SCOPES)
    # The scopes the contract's own operations and defaults name are grantable.
    assert {"tenant.domains.read", "tenant.domains.write", "developer.read", "sdk.keys.read"} <= derived
    assert set(catalog.DEFAULT_CLIENT_SCOPES) <= derived
    # Roadmap scopes stay planned.
    assert {"billing.write", "calls.recordings.read", "user.profile.write"} <= set(catalog.PLANNED_SCOPES)


@pytest.mark.django_db(transaction=True)
def test_a_wordpress_style_client_adds_its_site_to_the_allowed_domains(live_server, settings):
    """The plugin flow end to end against the live server: the owner registers the client with the
    contract's default scopes, the plugin runs the code flow with PKCE (authlib), reads the widget key
    and adds its own site with ``tenant.domains.write``."""
    settings.RINGNITY_PUBLIC_URL = live_server.url
    tenant = TenantFactory(slug="shop")
    allow_clients(tenant, allowed_domains=3)
    owner = OwnerFactory(tenant=tenant, email="owner@shop.example.com")
    api = requests.Session()
    login = api.post(
        f"{live_server.url}/api/auth/owner-login",
        json={"email": owner.email, "password": DEFAULT_PASSWORD},
        timeout=10,
    ).json()["data"]
    created = api.post(
        f"{live_server.url}/api/sdk/developer/oauth-clients",
        json={"name": "WordPress: shop.example.com", "redirectUris": [CALLBACK]},
        headers={"Authorization": f"Bearer {login['accessToken']}"},
        timeout=10,
    )
    assert created.status_code == 201, created.text
    registered = created.json()["data"]
    assert "tenant.domains.write" in registered["oauthClient"]["allowedScopes"]

    discovery = requests.get(f"{live_server.url}/.well-known/openid-configuration", timeout=10).json()
    assert "tenant.domains.write" in discovery["scopes_supported"]
    plugin = OAuth2Session(
        client_id=registered["oauthClient"]["clientId"],
        client_secret=registered["clientSecret"],
        scope="openid developer.read tenant.domains.write",
        redirect_uri=CALLBACK,
        code_challenge_method="S256",
    )
    verifier = secrets.token_urlsafe(48)
    authorize_url, _ = plugin.create_authorization_url(discovery["authorization_endpoint"], code_verifier=verifier)
    browser = requests.Session()
    sign_in = browser.get(authorize_url, timeout=10)
    signed = post_form(
        browser, authorize_url, sign_in, {"signin": "owner", "email": owner.email, "password": DEFAULT_PASSWORD}
    )
    consent = browser.get(f"{live_server.url}{signed.headers['Location']}", timeout=10)
    assert "tenant.domains.write" in consent.text or "Add websites allowed" in consent.text
    callback = post_form(browser, authorize_url, consent, {"allow": "1"}).headers["Location"]
    assert urlsplit(callback).netloc == urlsplit(CALLBACK).netloc
    token = plugin.fetch_token(discovery["token_endpoint"], authorization_response=callback, code_verifier=verifier)
    assert set(token["scope"].split()) == {"openid", "developer.read", "tenant.domains.write"}

    widget = plugin.get(f"{live_server.url}/api/oauth/tenant/widget-key", timeout=10).json()["data"]
    assert widget["publicWidgetKey"] == tenant.public_widget_key
    added = plugin.post(
        f"{live_server.url}/api/oauth/tenant/allowed-domains", json={"domain": "https://shop.example.com/"}, timeout=10
    )
    assert added.status_code == 200, added.text
    assert added.json()["data"]["allowedDomains"] == ["shop.example.com"]
    assert list(AllowedDomain.objects.for_tenant(tenant).values_list("domain", flat=True)) == ["shop.example.com"]
    for session in (plugin, browser, api):
        session.close()  # keep-alive connections hold a live-server thread and its database connection
