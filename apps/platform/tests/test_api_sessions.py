"""loginPlatformAdmin / refreshPlatformAdminSession, throttling, and token kinds refused across schemes."""

import pytest
from django.test import RequestFactory

from apps.developer.tests.factories import ServerApiKeyFactory, server_key_headers
from apps.identity.authentication import (
    DashboardJWTAuthentication,
    OwnerJWTAuthentication,
    PlatformJWTAuthentication,
    WorkspaceJWTAuthentication,
)
from apps.identity.sessions import SessionScope, session_issue
from apps.platform.api.views import login_throttle
from apps.tenants.models import PlatformRole
from apps.tenants.tests.factories import DEFAULT_PASSWORD, OwnerFactory, PlatformOperatorFactory, StaffFactory
from ringnity.api.errors import ApiError

pytestmark = pytest.mark.django_db
LOGIN = "/api/platform/auth/login"
REFRESH = "/api/platform/auth/refresh"


def _login(api_client, email, password=DEFAULT_PASSWORD, ip="10.0.0.1"):
    return api_client.post(LOGIN, {"email": email, "password": password}, format="json", REMOTE_ADDR=ip)


def test_login_returns_a_platform_session(api_client, assert_contract):
    user = PlatformOperatorFactory(platform_role=PlatformRole.OWNER, name="Olga")
    body = assert_contract(_login(api_client, user.email.upper()), "loginPlatformAdmin", status=200)
    data = body["data"]
    assert data["adminId"] == user.public_id
    assert data["role"] == "platform_owner"
    assert data["expiresIn"] > 0
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {data['accessToken']}")
    assert api_client.get("/api/platform/plan-contracts").status_code == 200


@pytest.mark.parametrize("case", ["unknown_email", "wrong_password", "tenant_owner", "disabled_operator"])
def test_login_failures_share_one_401_answer(api_client, assert_contract, case):
    operator = PlatformOperatorFactory(is_active=case != "disabled_operator")
    email, password = operator.email, DEFAULT_PASSWORD
    if case == "unknown_email":
        email = "nobody@ringnity.example"
    elif case == "wrong_password":
        password = "wrong-password-1"
    elif case == "tenant_owner":
        email = OwnerFactory().email
    body = assert_contract(_login(api_client, email, password), "loginPlatformAdmin", status=401)
    assert body["code"] == "AUTH_INVALID_CREDENTIALS"
    assert body["message"] == "Invalid e-mail or password."


def test_login_validation_lists_every_bad_field(api_client, assert_contract):
    response = api_client.post(LOGIN, {"email": "not-an-email"}, format="json")
    body = assert_contract(response, "loginPlatformAdmin", status=400)
    assert body["code"] == "VALIDATION_FAILED"
    assert {d.split(":")[0] for d in body["details"]} == {"email", "password"}


def test_login_is_throttled_per_email_with_retry_after(api_client, assert_contract):
    operator = PlatformOperatorFactory()
    for attempt in range(login_throttle.limits["account"]):
        response = _login(api_client, operator.email, "wrong-password-1", ip=f"10.0.1.{attempt}")
        assert response.status_code == 401
    response = _login(api_client, operator.email, ip="10.0.2.1")  # right password, still locked
    body = assert_contract(response, "loginPlatformAdmin", status=429)
    assert body["code"] == "RATE_LIMITED"
    assert 0 < int(response["Retry-After"]) <= login_throttle.lockout


def test_login_is_throttled_per_ip_across_emails(api_client, assert_contract):
    operator = PlatformOperatorFactory()
    for attempt in range(login_throttle.limits["ip"]):
        assert _login(api_client, f"guess{attempt}@x.example", "nope-nope-1", ip="10.9.9.9").status_code == 401
    response = _login(api_client, operator.email, ip="10.9.9.9")
    assert_contract(response, "loginPlatformAdmin", status=429)
    assert response.has_header("Retry-After")
    assert _login(api_client, operator.email, ip="10.9.9.10").status_code == 200


def test_successful_login_clears_the_account_failures(api_client):
    operator = PlatformOperatorFactory()
    for _ in range(login_throttle.limits["account"] - 1):
        _login(api_client, operator.email, "wrong-password-1")
    assert _login(api_client, operator.email).status_code == 200
    for _ in range(login_throttle.limits["account"] - 1):
        _login(api_client, operator.email, "wrong-password-1")
    assert _login(api_client, operator.email).status_code == 200


def test_refresh_rotates_and_the_old_token_is_refused(api_client, assert_contract):
    operator = PlatformOperatorFactory()
    first = _login(api_client, operator.email).json()["data"]
    response = api_client.post(REFRESH, {"refreshToken": first["refreshToken"]}, format="json")
    second = assert_contract(response, "refreshPlatformAdminSession", status=200)["data"]
    assert second["refreshToken"] != first["refreshToken"]
    again = api_client.post(REFRESH, {"refreshToken": first["refreshToken"]}, format="json")
    assert assert_contract(again, "refreshPlatformAdminSession", status=401)["code"] == "AUTH_TOKEN_INVALID"


def test_refresh_refuses_a_tenant_refresh_token(api_client, assert_contract):
    owner = OwnerFactory()
    tokens = session_issue(user=owner, scope=SessionScope.OWNER)
    response = api_client.post(REFRESH, {"refreshToken": tokens.refresh}, format="json")
    assert_contract(response, "refreshPlatformAdminSession", status=401)


def test_refresh_requires_a_token(api_client, assert_contract):
    response = api_client.post(REFRESH, {}, format="json")
    assert assert_contract(response, "refreshPlatformAdminSession", status=400)["details"][0].startswith("refreshToken")


def _tenant_tokens():
    owner = OwnerFactory()
    agent = StaffFactory(tenant=owner.tenant)
    return {
        "owner": f"Bearer {session_issue(user=owner, scope=SessionScope.OWNER).access}",
        "workspace": f"Bearer {session_issue(user=agent, scope=SessionScope.WORKSPACE).access}",
        "server_key": server_key_headers(ServerApiKeyFactory(tenant=owner.tenant))["HTTP_AUTHORIZATION"],
        "garbage": "Bearer not-a-token",
        "runtime_admin": f"Bearer {_runtime_token(owner.tenant)}",
    }


def _runtime_token(tenant) -> str:
    from apps.runtime.tokens import ADMIN_SCOPES, TokenKind, token_issue

    return token_issue(kind=TokenKind.ADMIN, tenant=tenant, subject="adm", scopes=ADMIN_SCOPES).token


@pytest.mark.parametrize("kind", ["owner", "workspace", "server_key", "garbage", "runtime_admin"])
def test_tenant_credentials_are_refused_on_platform_routes(api_client, assert_contract, kind):
    header = _tenant_tokens()[kind]
    response = api_client.get("/api/platform/plan-contracts", HTTP_AUTHORIZATION=header)
    body = assert_contract(response, "getPlatformPlanContracts", status=401)
    assert body["code"] == "AUTH_TOKEN_INVALID"


def test_runtime_session_header_is_not_a_platform_credential(api_client, assert_contract):
    token = _runtime_token(OwnerFactory().tenant)
    response = api_client.get("/api/platform/ai-balance", HTTP_X_RINGNITY_SDK_SESSION=token)
    assert assert_contract(response, "getPlatformAiBalance", status=401)["code"] == "AUTH_REQUIRED"


def test_a_platform_token_is_refused_as_a_runtime_session():
    from apps.runtime.tokens import RuntimeBearerAuthentication

    access = session_issue(user=PlatformOperatorFactory(), scope=SessionScope.PLATFORM).access
    request = RequestFactory().get("/", HTTP_X_RINGNITY_SDK_SESSION=access)
    with pytest.raises(ApiError) as info:
        RuntimeBearerAuthentication().authenticate(request)
    assert info.value.status == 401


def test_a_platform_token_is_refused_as_a_server_key():
    from apps.developer.authentication import ServerApiKeyAuthentication

    access = session_issue(user=PlatformOperatorFactory(), scope=SessionScope.PLATFORM).access
    request = RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {access}")
    with pytest.raises(ApiError) as info:
        ServerApiKeyAuthentication().authenticate(request)
    assert info.value.status == 401


def test_no_credentials_on_platform_route_is_401(api_client, assert_contract):
    body = assert_contract(api_client.get("/api/platform/ai-pricing"), "getPlatformAiPricing", status=401)
    assert body["code"] == "AUTH_REQUIRED"


@pytest.mark.parametrize("auth_class", [OwnerJWTAuthentication, WorkspaceJWTAuthentication, DashboardJWTAuthentication])
def test_a_platform_token_is_refused_by_every_tenant_scheme(auth_class):
    access = session_issue(user=PlatformOperatorFactory(), scope=SessionScope.PLATFORM).access
    request = RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {access}")
    with pytest.raises(ApiError) as info:
        auth_class().authenticate(request)
    assert info.value.status == 401


def test_a_platform_token_is_accepted_by_the_platform_scheme_with_role_scopes():
    support = PlatformOperatorFactory(platform_role=PlatformRole.SUPPORT)
    access = session_issue(user=support, scope=SessionScope.PLATFORM).access
    request = RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {access}")
    _, principal = PlatformJWTAuthentication().authenticate(request)
    assert principal.scopes == {"platform:read"}
    assert principal.tenant is None


@pytest.mark.parametrize(
    ("url", "operation_id"),
    [
        ("/api/auth/owner-me", "getOwnerSession"),
        ("/api/sdk/developer", "getDeveloperSettings"),
        ("/api/server/tenant", "getServerTenant"),
    ],
)
def test_a_platform_token_is_refused_on_tenant_routes(api_client, assert_contract, url, operation_id):
    access = session_issue(user=PlatformOperatorFactory(), scope=SessionScope.PLATFORM).access
    response = api_client.get(url, HTTP_AUTHORIZATION=f"Bearer {access}")
    assert assert_contract(response, operation_id, status=401)["code"] in {
        "AUTH_TOKEN_INVALID",
        "SERVER_API_KEY_INVALID",
    }
