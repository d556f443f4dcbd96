"""The whole dashboard path, end to end through the HTTP API only."""

import pytest

from apps.plans.tests.factories import subscribe
from apps.tenants.tests.factories import DEFAULT_PASSWORD, OwnerFactory, TenantFactory

pytestmark = pytest.mark.django_db


def _bearer(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_owner_login_to_workspace_to_server_key_rotation(api_client, assert_contract):
    tenant = TenantFactory(slug="acme")
    subscribe(tenant, features={"chat": True, "server_api": True}, quotas={"server_api_keys": 5})
    owner = OwnerFactory(tenant=tenant, email="ada@acme.example")

    login = api_client.post("/api/auth/owner-login", {"email": "ada@acme.example", "password": DEFAULT_PASSWORD})
    owner_access = assert_contract(login, "loginOwner", status=200)["data"]["accessToken"]

    entry = api_client.post("/api/auth/workspace-entry-token", **_bearer(owner_access))
    auto_login_token = assert_contract(entry, "createWorkspaceEntryToken", status=200)["data"]["autoLoginToken"]

    session = api_client.get("/api/auth/workspace-auto-login", {"token": auto_login_token}, HTTP_HOST="acme.localhost")
    workspace = assert_contract(session, "autoLoginWorkspace", status=200)["data"]
    assert workspace["agent"]["agentId"] == owner.public_id

    created = api_client.post(
        "/api/sdk/developer/server-api-credentials",
        {"name": "Orders backend", "scopes": ["server:health"]},
        **_bearer(workspace["accessToken"]),
    )
    created_data = assert_contract(created, "createServerApiCredential", status=201)["data"]
    old_secret, key_id = created_data["secret"], created_data["credential"]["id"]

    health = api_client.get("/api/server/health", **_bearer(old_secret))
    assert_contract(health, "getServerApiHealth", status=200)

    rotated = api_client.post(
        f"/api/sdk/developer/server-api-credentials/{key_id}/rotate", **_bearer(workspace["accessToken"])
    )
    new_secret = assert_contract(rotated, "rotateServerApiCredential", status=200)["data"]["secret"]

    old = api_client.get("/api/server/health", **_bearer(old_secret))
    assert_contract(old, "getServerApiHealth", status=401)
    assert old.json()["code"] == "SERVER_API_KEY_INVALID"
    assert_contract(api_client.get("/api/server/health", **_bearer(new_secret)), "getServerApiHealth", status=200)
