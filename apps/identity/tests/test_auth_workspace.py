"""Workspace sessions: entry tokens, auto-login, username login by host or header, refresh, logout."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from apps.identity.models import WorkspaceEntryToken
from apps.identity.sessions import SessionScope, session_issue
from apps.tenants.tests.factories import DEFAULT_PASSWORD, DepartmentFactory, OwnerFactory, StaffFactory, TenantFactory

pytestmark = pytest.mark.django_db

ENTRY = "/api/auth/workspace-entry-token"
AUTO = "/api/auth/workspace-auto-login"
LOGIN = "/api/auth/workspace-login"
REFRESH = "/api/auth/workspace-refresh"
LOGOUT = "/api/auth/workspace-logout"


def _bearer(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def owner():
    return OwnerFactory(tenant=TenantFactory(slug="acme"))


@pytest.fixture
def agent(owner):
    return StaffFactory(tenant=owner.tenant, username="maria", department=DepartmentFactory(tenant=owner.tenant))


def _owner_access(owner):
    return session_issue(user=owner, scope=SessionScope.OWNER).access


def _entry_token(client, owner):
    return client.post(ENTRY, **_bearer(_owner_access(owner))).json()["data"]["autoLoginToken"]


def _login(client, username, password=DEFAULT_PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, format="json", **extra)


# --- entry token + auto-login ----------------------------------------------


def test_entry_token_is_one_time_short_lived_and_stored_as_a_digest(api_client, assert_contract, owner):
    response = api_client.post(ENTRY, **_bearer(_owner_access(owner)))
    data = assert_contract(response, "createWorkspaceEntryToken", status=200)["data"]
    assert data["expiresIn"] == 60
    assert data["dashboardUrl"].startswith("http://acme.localhost")
    assert data["autoLoginToken"] in data["dashboardUrl"]
    row = WorkspaceEntryToken.objects.get(tenant=owner.tenant)
    assert row.token_digest != data["autoLoginToken"]
    assert data["autoLoginToken"] not in row.token_digest
    assert timedelta(seconds=55) < row.expires_at - timezone.now() <= timedelta(seconds=60)


def test_auto_login_exchanges_the_token_once(api_client, assert_contract, owner):
    token = _entry_token(api_client, owner)
    response = api_client.get(AUTO, {"token": token})
    data = assert_contract(response, "autoLoginWorkspace", status=200)["data"]
    assert data["agent"]["agentId"] == owner.public_id
    assert data["agent"]["isOwner"] is True
    assert data["agent"]["clientSlug"] == "acme"
    assert data["token"] == data["accessToken"]
    assert response.cookies["workspaceRefreshToken"].value == data["refreshToken"]
    second = api_client.get(AUTO, {"token": token})
    assert assert_contract(second, "autoLoginWorkspace", status=401)["code"] == "AUTH_TOKEN_INVALID"


def test_expired_entry_token_is_refused(api_client, assert_contract, owner):
    token = _entry_token(api_client, owner)
    WorkspaceEntryToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_contract(api_client.get(AUTO, {"token": token}), "autoLoginWorkspace", status=401)


def test_entry_token_is_bound_to_the_owners_tenant(api_client, assert_contract, owner):
    TenantFactory(slug="other")
    token = _entry_token(api_client, owner)
    response = api_client.get(AUTO, {"token": token}, HTTP_HOST="other.localhost")
    assert_contract(response, "autoLoginWorkspace", status=401)
    # ... and it was spent by the attempt: the right host cannot use it afterwards either.
    assert_contract(api_client.get(AUTO, {"token": token}, HTTP_HOST="acme.localhost"), "autoLoginWorkspace", 401)


def test_entry_token_on_its_own_host_works(api_client, assert_contract, owner):
    token = _entry_token(api_client, owner)
    assert_contract(api_client.get(AUTO, {"token": token}, HTTP_HOST="acme.localhost"), "autoLoginWorkspace", 200)


def test_auto_login_without_token_is_a_validation_error(api_client, assert_contract):
    body = assert_contract(api_client.get(AUTO), "autoLoginWorkspace", status=400)
    assert body["details"][0].startswith("token:")


def test_unknown_entry_token_is_refused(api_client, assert_contract):
    assert_contract(api_client.get(AUTO, {"token": "made-up"}), "autoLoginWorkspace", status=401)


def test_entry_token_needs_an_owner_token_not_a_workspace_one(api_client, assert_contract, owner):
    workspace = session_issue(user=owner, scope=SessionScope.WORKSPACE).access
    response = api_client.post(ENTRY, **_bearer(workspace))
    assert assert_contract(response, "createWorkspaceEntryToken", status=401)["code"] == "AUTH_TOKEN_INVALID"


def test_entry_token_of_a_since_disabled_owner_cannot_be_used(api_client, assert_contract, owner):
    token = _entry_token(api_client, owner)
    owner.tenant.is_active = False
    owner.tenant.save()
    response = api_client.get(AUTO, {"token": token})
    assert assert_contract(response, "autoLoginWorkspace", status=403)["code"] == "AUTH_ACCOUNT_DISABLED"


# --- username login ----------------------------------------------------------


def test_workspace_login_by_host(api_client, assert_contract, agent):
    response = _login(api_client, "maria", HTTP_HOST="acme.localhost")
    data = assert_contract(response, "loginWorkspace", status=200)["data"]
    assert data["agent"]["role"] == "agent"
    assert data["agent"]["isAdmin"] is False
    assert data["agent"]["department"]["name"] == agent.department.name
    assert data["agentId"] == agent.public_id
    cookie = response.cookies["workspaceRefreshToken"]
    assert cookie["httponly"] is True
    assert cookie["path"] == "/api/auth/"


def test_workspace_login_by_dev_header(api_client, assert_contract, agent):
    response = _login(api_client, "maria", HTTP_X_RINGNITY_TENANT="acme")
    assert_contract(response, "loginWorkspace", status=200)


@override_settings(RINGNITY_ALLOW_TENANT_HEADER=False)
def test_outside_local_development_the_header_names_no_workspace(api_client, assert_contract, agent):
    body = assert_contract(_login(api_client, "maria", HTTP_X_RINGNITY_TENANT="acme"), "loginWorkspace", status=400)
    assert body["details"] == ["tenant: sign in on your workspace host (<slug>.<domain>)."]


@override_settings(RINGNITY_BASE_DOMAIN="ringnity.example", ALLOWED_HOSTS=[".ringnity.example"])
def test_the_host_wins_over_the_header(api_client, assert_contract, agent):
    TenantFactory(slug="other")
    response = _login(api_client, "maria", HTTP_HOST="other.ringnity.example", HTTP_X_RINGNITY_TENANT="acme")
    assert assert_contract(response, "loginWorkspace", status=401)["code"] == "AUTH_INVALID_CREDENTIALS"
    assert_contract(_login(api_client, "maria", HTTP_HOST="acme.ringnity.example"), "loginWorkspace", status=200)


def test_workspace_login_without_a_tenant_is_a_validation_error(api_client, assert_contract, agent):
    body = assert_contract(_login(api_client, "maria"), "loginWorkspace", status=400)
    assert body["details"][0].startswith("tenant:")


def test_same_answer_for_unknown_user_wrong_password_and_unknown_tenant(api_client, assert_contract, agent):
    answers = [
        _login(api_client, "maria", password="wrong-password", HTTP_X_RINGNITY_TENANT="acme"),
        _login(api_client, "nobody", HTTP_X_RINGNITY_TENANT="acme"),
        _login(api_client, "maria", HTTP_X_RINGNITY_TENANT="no-such-tenant"),
    ]
    bodies = [assert_contract(r, "loginWorkspace", status=401) for r in answers]
    assert bodies[0] == bodies[1] == bodies[2]
    assert bodies[0]["code"] == "AUTH_INVALID_CREDENTIALS"


def test_staff_of_another_tenant_cannot_log_in_here(api_client, assert_contract, agent):
    StaffFactory(tenant=TenantFactory(slug="beta"), username="bob")
    assert_contract(_login(api_client, "bob", HTTP_X_RINGNITY_TENANT="acme"), "loginWorkspace", status=401)


def test_disabled_staff_and_inactive_tenant_cannot_log_in(api_client, assert_contract, agent):
    agent.is_active = False
    agent.save()
    body = assert_contract(_login(api_client, "maria", HTTP_X_RINGNITY_TENANT="acme"), "loginWorkspace", status=403)
    assert body["code"] == "AUTH_ACCOUNT_DISABLED"
    agent.is_active = True
    agent.save()
    agent.tenant.is_active = False
    agent.tenant.save()
    assert_contract(_login(api_client, "maria", HTTP_X_RINGNITY_TENANT="acme"), "loginWorkspace", status=403)


def test_workspace_login_is_throttled_per_account(api_client, assert_contract, agent):
    for _ in range(5):
        _login(api_client, "maria", password="wrong-password", HTTP_X_RINGNITY_TENANT="acme")
    response = _login(api_client, "maria", HTTP_X_RINGNITY_TENANT="acme")
    assert assert_contract(response, "loginWorkspace", status=429)["code"] == "RATE_LIMITED"
    assert int(response["Retry-After"]) > 0


# --- refresh / logout ----------------------------------------------------------


def test_workspace_refresh_rotates_and_reuse_revokes_the_family(api_client, assert_contract, agent):
    first = _login(api_client, "maria", HTTP_X_RINGNITY_TENANT="acme").json()["data"]["refreshToken"]
    response = api_client.post(REFRESH, {"refreshToken": first}, format="json")
    second = assert_contract(response, "refreshWorkspaceSession", status=200)["data"]["refreshToken"]
    assert_contract(api_client.post(REFRESH, {"refreshToken": first}, format="json"), "refreshWorkspaceSession", 401)
    assert_contract(api_client.post(REFRESH, {"refreshToken": second}, format="json"), "refreshWorkspaceSession", 401)


def test_workspace_refresh_is_refused_for_disabled_staff(api_client, assert_contract, agent):
    refresh = _login(api_client, "maria", HTTP_X_RINGNITY_TENANT="acme").json()["data"]["refreshToken"]
    agent.is_active = False
    agent.save()
    assert_contract(api_client.post(REFRESH, {"refreshToken": refresh}, format="json"), "refreshWorkspaceSession", 401)


def test_owner_refresh_token_is_refused_by_workspace_refresh_and_vice_versa(api_client, assert_contract, owner):
    owner_refresh = session_issue(user=owner, scope=SessionScope.OWNER).refresh
    workspace_refresh = session_issue(user=owner, scope=SessionScope.WORKSPACE).refresh
    response = api_client.post(REFRESH, {"refreshToken": owner_refresh}, format="json")
    assert_contract(response, "refreshWorkspaceSession", status=401)
    response = api_client.post("/api/auth/owner-refresh", {"refreshToken": workspace_refresh}, format="json")
    assert_contract(response, "refreshOwnerSession", status=401)


def test_workspace_logout_revokes_and_clears_the_cookie(api_client, assert_contract, agent):
    data = _login(api_client, "maria", HTTP_X_RINGNITY_TENANT="acme").json()["data"]
    response = api_client.post(LOGOUT, {"refreshToken": data["refreshToken"]}, format="json")
    assert_contract(response, "logoutWorkspace", status=200)
    assert response.cookies["workspaceRefreshToken"].value == ""
    refused = api_client.post(REFRESH, {"refreshToken": data["refreshToken"]}, format="json")
    assert_contract(refused, "refreshWorkspaceSession", status=401)


def test_workspace_logout_by_cookie(api_client, assert_contract, agent):
    _login(api_client, "maria", HTTP_X_RINGNITY_TENANT="acme")
    assert_contract(api_client.post(LOGOUT), "logoutWorkspace", status=200)
    assert_contract(api_client.post(REFRESH), "refreshWorkspaceSession", status=401)


@override_settings(RINGNITY_BASE_DOMAIN="ringnity.example", ALLOWED_HOSTS=[".ringnity.example"])
def test_on_a_reserved_host_like_api_the_header_names_the_workspace(api_client, assert_contract, agent):
    response = _login(api_client, "maria", HTTP_HOST="api.ringnity.example", HTTP_X_RINGNITY_TENANT="acme")
    assert_contract(response, "loginWorkspace", status=200)


def test_creating_an_entry_token_sweeps_old_ones(api_client, assert_contract, owner):
    _entry_token(api_client, owner)
    WorkspaceEntryToken.objects.update(expires_at=timezone.now() - timedelta(hours=2))
    _entry_token(api_client, owner)
    assert WorkspaceEntryToken.objects.for_tenant(owner.tenant).count() == 1


def test_bad_body_and_missing_workspace_are_reported_together(api_client, assert_contract):
    body = assert_contract(api_client.post(LOGIN, {}, format="json"), "loginWorkspace", status=400)
    assert sorted(d.split(":")[0] for d in body["details"]) == ["password", "tenant", "username"]
