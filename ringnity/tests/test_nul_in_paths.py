"""A NUL in a URL path names nothing (issue 22, finding 9).

PostgreSQL refuses a NUL in a text value outright (``DataError``), so a path id carrying ``%00`` used
to be a 500 wherever a view looked it up without its own guard. One rule for every route: such a
path is a 404 before any view runs (``ringnity.api.http_middleware.NulInPathRefusedMiddleware``).
"""

import re

import pytest
from django.urls import URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from apps.ai.tests.factories import admin_headers, ai_tenant
from apps.developer.tests.factories import ServerApiKeyFactory, server_key_headers
from apps.identity.sessions import SessionScope, session_issue
from apps.oauth.tests.factories import allow_clients
from apps.plans.tests.factories import subscribe
from apps.tenants.tests.factories import OwnerFactory, TenantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def server_key():
    key = ServerApiKeyFactory(scopes=["server:webhook:read", "server:webhook:write"])
    subscribe(key.tenant, features={"server_api": True, "webhooks": True}, quotas={"webhooks": 5})
    return key


@pytest.fixture
def owner():
    tenant = TenantFactory(slug="acme")
    allow_clients(tenant, 3)
    return OwnerFactory(tenant=tenant)


def _owner_bearer(owner) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {session_issue(user=owner, scope=SessionScope.OWNER).access}"}


@pytest.mark.parametrize(
    ("method", "path", "operation_id"),
    [
        ("patch", "/api/server/webhooks/a%00b", "updateWebhook"),
        ("delete", "/api/server/webhooks/a%00b", "disableWebhook"),
    ],
)
def test_a_nul_in_a_webhook_id_is_a_404(api_client, assert_contract, server_key, method, path, operation_id):
    response = getattr(api_client, method)(path, {"url": "https://x.example.com"}, **server_key_headers(server_key))
    assert assert_contract(response, operation_id, status=404)["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("method", "path", "operation_id"),
    [
        ("delete", "/api/admin-sdk/ai/knowledge/a%00b", "deleteAdminKnowledge"),
        ("post", "/api/admin-sdk/ai/knowledge/a%00b/reindex", "reindexAdminKnowledge"),
    ],
)
def test_a_nul_in_a_knowledge_item_id_is_a_404(api_client, assert_contract, method, path, operation_id):
    response = getattr(api_client, method)(path, **admin_headers(ai_tenant()))
    assert assert_contract(response, operation_id, status=404)["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("method", "suffix", "operation_id"),
    [
        ("patch", "", "updateOAuthClient"),
        ("delete", "", "revokeOAuthClient"),
        ("post", "/rotate-secret", "rotateOAuthClientSecret"),
        ("delete", "/revoked", "deleteRevokedOAuthClient"),
    ],
)
def test_a_nul_in_an_oauth_client_id_is_a_404(api_client, assert_contract, owner, method, suffix, operation_id):
    path = f"/api/sdk/developer/oauth-clients/rn_oauth_%00{suffix}"
    response = getattr(api_client, method)(path, {"name": "x"}, format="json", **_owner_bearer(owner))
    assert assert_contract(response, operation_id, status=404)["code"] == "NOT_FOUND"


def _routes(patterns, prefix: str = ""):
    """Every ``path()`` route (not regex) of the URL conf with a path parameter, as its full template."""
    for entry in patterns:
        if not isinstance(entry.pattern, RoutePattern):
            continue
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, route)
        elif "<" in route:
            yield route


def test_every_route_with_a_path_id_answers_a_nul_in_it_with_a_404(client):
    """Whatever route is added later: a NUL in its first path parameter is a 404 (the JSON one under /api)."""
    routes = sorted(set(_routes(get_resolver().url_patterns)))
    assert len(routes) > 20
    for route in routes:
        path = "/" + re.sub(r"<[^>]+>", "x", re.sub(r"<[^>]+>", "a%00b", route, count=1))
        for method in ("get", "post", "delete"):
            response = getattr(client, method)(path)
            assert response.status_code == 404, (route, method, response.status_code)
            if path.startswith("/api/"):
                assert response.json()["code"] == "NOT_FOUND", route


def test_a_nul_elsewhere_in_a_path_is_a_404_too(client):
    assert client.get("/api/sdk/hea%00lth").json()["code"] == "NOT_FOUND"
    assert client.get("/admin/tenants/tenant/1%00/change/").status_code == 404
