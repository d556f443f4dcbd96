"""Token kinds never cross: owner, workspace, platform, Server API key and runtime credentials.

The contract has no route that accepts *only* workspace tokens, so "an owner token where only
workspace tokens are accepted" is proven on ``WorkspaceJWTAuthentication`` itself and on the
workspace refresh route (an owner refresh token there is refused).
"""

import pytest
from rest_framework.test import APIRequestFactory

from apps.developer.authentication import ServerApiKeyAuthentication
from apps.developer.tests.factories import ServerApiKeyFactory
from apps.identity.authentication import (
    DashboardJWTAuthentication,
    OwnerJWTAuthentication,
    PlatformJWTAuthentication,
    WorkspaceJWTAuthentication,
)
from apps.identity.sessions import SessionScope, session_issue
from apps.tenants.tests.factories import OwnerFactory, PlatformOperatorFactory, TenantFactory
from ringnity.api.errors import ApiError
from ringnity.api.principal import PrincipalKind

pytestmark = pytest.mark.django_db

OWNER_ME = "/api/auth/owner-me"
ENTRY = "/api/auth/workspace-entry-token"
DEVELOPER = "/api/sdk/developer"
PLATFORM = "/api/platform/plan-contracts"
SERVER = "/api/server/health"
RUNTIME = "/api/sdk/devices/push-token"


@pytest.fixture
def tokens():
    owner = OwnerFactory(tenant=TenantFactory(slug="acme"))
    return {
        "owner": session_issue(user=owner, scope=SessionScope.OWNER).access,
        "workspace": session_issue(user=owner, scope=SessionScope.WORKSPACE).access,
        "platform": session_issue(user=PlatformOperatorFactory(), scope=SessionScope.PLATFORM).access,
        "server": ServerApiKeyFactory(tenant=owner.tenant, scopes=["server:health"]).secret,
    }


def _bearer(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def _authenticate(auth_class, token):
    request = APIRequestFactory().get("/", **_bearer(token))
    return auth_class().authenticate(request)


# --- the authentication classes --------------------------------------------------


@pytest.mark.parametrize(
    ("auth_class", "accepted"),
    [
        (OwnerJWTAuthentication, {"owner"}),
        (WorkspaceJWTAuthentication, {"workspace"}),
        (DashboardJWTAuthentication, {"owner", "workspace"}),
        (PlatformJWTAuthentication, {"platform"}),
        (ServerApiKeyAuthentication, {"server"}),
    ],
)
def test_each_authentication_class_accepts_only_its_own_kind(tokens, auth_class, accepted):
    for kind, token in tokens.items():
        if kind in accepted:
            _user, principal = _authenticate(auth_class, token)
            expected = PrincipalKind.SERVER_KEY if kind == "server" else PrincipalKind(kind)
            assert principal.kind == expected
        else:
            with pytest.raises(ApiError) as refused:
                _authenticate(auth_class, token)
            assert refused.value.status == 401, (auth_class.__name__, kind)


# --- owner-only routes -----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["workspace", "platform", "server"])
def test_owner_routes_refuse_other_kinds(api_client, assert_contract, tokens, kind):
    body = assert_contract(api_client.get(OWNER_ME, **_bearer(tokens[kind])), "getOwnerSession", status=401)
    assert body["code"] == "AUTH_TOKEN_INVALID"
    assert_contract(api_client.post(ENTRY, **_bearer(tokens[kind])), "createWorkspaceEntryToken", status=401)


def test_owner_route_accepts_the_owner_token(api_client, assert_contract, tokens):
    assert_contract(api_client.get(OWNER_ME, **_bearer(tokens["owner"])), "getOwnerSession", status=200)


# --- dashboard routes --------------------------------------------------------------


@pytest.mark.parametrize("kind", ["platform", "server"])
def test_dashboard_routes_refuse_platform_and_server_credentials(api_client, assert_contract, tokens, kind):
    response = api_client.get(DEVELOPER, **_bearer(tokens[kind]))
    assert assert_contract(response, "getDeveloperSettings", status=401)["code"] == "AUTH_TOKEN_INVALID"


def test_dashboard_routes_refuse_a_runtime_session_header(api_client, assert_contract, tokens):
    response = api_client.get(DEVELOPER, HTTP_X_RINGNITY_SDK_SESSION=tokens["owner"])
    assert assert_contract(response, "getDeveloperSettings", status=401)["code"] == "AUTH_REQUIRED"


# --- platform, server and runtime routes refuse both dashboard kinds -------------------


@pytest.mark.parametrize("kind", ["owner", "workspace"])
def test_platform_route_refuses_dashboard_tokens(api_client, assert_contract, tokens, kind):
    response = api_client.get(PLATFORM, **_bearer(tokens[kind]))
    assert_contract(response, "getPlatformPlanContracts", status=401)


@pytest.mark.parametrize("kind", ["owner", "workspace"])
def test_server_route_refuses_dashboard_tokens(api_client, assert_contract, tokens, kind):
    response = api_client.get(SERVER, **_bearer(tokens[kind]))
    assert assert_contract(response, "getServerApiHealth", status=401)["code"] == "SERVER_API_KEY_INVALID"


@pytest.mark.parametrize("kind", ["owner", "workspace"])
def test_runtime_route_refuses_dashboard_tokens(api_client, assert_contract, tokens, kind):
    body = {"platform": "android", "token": "fcm-token-123", "audience": "visitor"}
    for headers in (_bearer(tokens[kind]), {"HTTP_X_RINGNITY_SDK_SESSION": tokens[kind]}):
        response = api_client.post(RUNTIME, body, format="json", **headers)
        assert_contract(response, "registerDevicePushToken", status=401)
