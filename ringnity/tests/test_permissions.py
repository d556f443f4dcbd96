"""Deny by default: principal kinds and scopes declared per view."""

import pytest

from apps.developer.tests.factories import ServerApiKeyFactory, server_key_headers
from apps.identity.sessions import SessionScope, session_issue
from apps.tenants.tests.factories import OwnerFactory, StaffFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("ringnity.tests.urls")]


def test_missing_server_key_uses_the_schemes_own_code(api_client):
    response = api_client.get("/api/test/scoped")
    assert response.status_code == 401
    assert response.json()["code"] == "SERVER_API_KEY_INVALID"


def test_server_key_without_the_scope_is_403_naming_it(api_client):
    key = ServerApiKeyFactory(scopes=["server:health"])
    response = api_client.get("/api/test/scoped", **server_key_headers(key))
    assert response.status_code == 403
    assert response.json()["code"] == "SERVER_API_SCOPE_DENIED"
    assert response.json()["details"] == ["missing scope: server:contacts:read"]


def test_server_key_with_the_scope_passes(api_client):
    key = ServerApiKeyFactory(scopes=["server:contacts:read"])
    response = api_client.get("/api/test/scoped", **server_key_headers(key))
    assert response.status_code == 200
    assert response.json()["data"] == {"tenant": key.tenant.slug}


def test_jwt_on_a_server_key_route_is_refused(api_client):
    owner = OwnerFactory()
    access = session_issue(user=owner, scope=SessionScope.OWNER).access
    response = api_client.get("/api/test/scoped", HTTP_AUTHORIZATION=f"Bearer {access}")
    assert response.status_code == 401
    assert response.json()["code"] == "SERVER_API_KEY_INVALID"


def test_workspace_token_on_an_owner_route_is_refused(api_client):
    agent = StaffFactory()
    access = session_issue(user=agent, scope=SessionScope.WORKSPACE).access
    response = api_client.get("/api/test/owner-only", HTTP_AUTHORIZATION=f"Bearer {access}")
    assert response.status_code == 401
    assert response.json()["code"] == "AUTH_TOKEN_INVALID"


def test_server_key_on_an_owner_route_is_refused(api_client):
    key = ServerApiKeyFactory()
    response = api_client.get("/api/test/owner-only", **server_key_headers(key))
    assert response.status_code == 401
    assert response.json()["code"] == "AUTH_TOKEN_INVALID"


def test_owner_token_passes_its_own_route(api_client):
    owner = OwnerFactory()
    access = session_issue(user=owner, scope=SessionScope.OWNER).access
    response = api_client.get("/api/test/owner-only", HTTP_AUTHORIZATION=f"Bearer {access}")
    assert response.status_code == 200
    assert response.json()["data"] == {"tenant": owner.tenant.slug}
