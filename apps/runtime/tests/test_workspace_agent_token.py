"""``createWorkspaceAgentToken``: a workspace dashboard login exchanged for an agent runtime token.

End to end through the API: ``workspace-login`` → exchange → ``/agent-sdk/*``. The token is the
signed-in staff member's, bound to that login (a logout ends it), and every other credential kind
is refused.
"""

import secrets
from datetime import timedelta

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from oauth2_provider.models import get_access_token_model

from apps.chat.tests.chat_fixtures import chat_tenant
from apps.chat.visitor_services import chat_session_issue
from apps.identity.sessions import SessionScope, session_issue
from apps.oauth.tests.factories import make_client
from apps.runtime.tests.fixtures import runtime_headers, server_headers
from apps.runtime.tokens import AGENT_SCOPES, TokenKind, token_decode
from apps.tenants.models import StaffRole
from apps.tenants.tests.factories import DEFAULT_PASSWORD, OwnerFactory, PlatformOperatorFactory, StaffFactory

pytestmark = pytest.mark.django_db
EXCHANGE = "/api/auth/workspace-agent-token"
OPERATION = "createWorkspaceAgentToken"


@pytest.fixture
def tenant():
    return chat_tenant()


@pytest.fixture
def agent(tenant):
    return StaffFactory(tenant=tenant, username="maria", role=StaffRole.AGENT)


def _login(client, tenant, username: str) -> dict:
    response = client.post(
        "/api/auth/workspace-login",
        {"username": username, "password": DEFAULT_PASSWORD},
        format="json",
        HTTP_X_RINGNITY_TENANT=tenant.slug,
    )
    assert response.status_code == 200, response.content
    return response.json()["data"]


def _exchange(client, headers: dict, body: dict | None = None):
    return client.post(EXCHANGE, body, format="json", **headers)


def _bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_a_workspace_login_reaches_the_agent_sdk_through_the_exchange(api_client, assert_contract, tenant, agent):
    session = _login(api_client, tenant, "maria")
    issued = assert_contract(_exchange(api_client, _bearer(session["accessToken"])), OPERATION, status=201)["data"]
    assert issued["tokenType"] == "Bearer"
    assert issued["expiresIn"] == 900
    assert sorted(issued["scopes"]) == sorted(AGENT_SCOPES)
    claims = token_decode(issued["token"], kinds={TokenKind.AGENT})
    assert (claims["sub"], claims["tid"]) == (agent.public_id, tenant.public_id)
    sdk = {"HTTP_X_RINGNITY_SDK_SESSION": issued["token"]}
    profile = assert_contract(api_client.get("/api/agent-sdk/me", **sdk), "getAgentProfile", status=200)["data"]
    assert profile["agent"]["agentId"] == agent.public_id
    assert_contract(api_client.get("/api/agent-sdk/conversations", **sdk), "listAgentConversations", status=200)


def test_scopes_narrow_and_the_lifetime_is_bounded(api_client, assert_contract, tenant, agent):
    headers = _bearer(_login(api_client, tenant, "maria")["accessToken"])
    narrow = _exchange(api_client, headers, {"scopes": ["agent:profile:read", "admin:read"], "expiresIn": 3600})
    issued = assert_contract(narrow, OPERATION, status=201)["data"]
    assert (issued["scopes"], issued["expiresIn"]) == (["agent:profile:read"], 3600)
    sdk = {"HTTP_X_RINGNITY_SDK_SESSION": issued["token"]}
    assert api_client.get("/api/agent-sdk/me", **sdk).status_code == 200
    denied = api_client.get("/api/agent-sdk/conversations", **sdk)
    assert assert_contract(denied, "listAgentConversations", status=403)["details"] == [
        "missing scope: agent:conversations:read"
    ]
    too_long = assert_contract(_exchange(api_client, headers, {"expiresIn": 3601}), OPERATION, status=400)
    assert [line.split(":")[0] for line in too_long["details"]] == ["expiresIn"]
    none_allowed = assert_contract(_exchange(api_client, headers, {"scopes": ["admin:read"]}), OPERATION, status=400)
    assert none_allowed["details"][0].startswith("scopes: none of the requested scopes is allowed")


def test_the_token_ends_with_the_login_it_came_from(api_client, assert_contract, tenant, agent):
    session = _login(api_client, tenant, "maria")
    token = _exchange(api_client, _bearer(session["accessToken"])).json()["data"]["token"]
    sdk = {"HTTP_X_RINGNITY_SDK_SESSION": token}
    assert api_client.get("/api/agent-sdk/me", **sdk).status_code == 200
    logout = api_client.post("/api/auth/workspace-logout", {"refreshToken": session["refreshToken"]}, format="json")
    assert logout.status_code == 200
    ended = assert_contract(api_client.get("/api/agent-sdk/me", **sdk), "getAgentProfile", status=401)
    assert ended["code"] == "AUTH_TOKEN_INVALID"
    assert "dashboard login" in ended["message"]


def test_the_token_ends_when_the_staff_member_is_deactivated(api_client, tenant, agent):
    token = _exchange(api_client, _bearer(_login(api_client, tenant, "maria")["accessToken"])).json()["data"]["token"]
    agent.is_active = False
    agent.save(update_fields=["is_active"])
    response = api_client.get("/api/agent-sdk/me", HTTP_X_RINGNITY_SDK_SESSION=token)
    assert response.status_code == 401


def _oauth_token() -> str:
    owner = OwnerFactory()
    raw = secrets.token_urlsafe(30)
    get_access_token_model().objects.create(
        user=owner,
        application=make_client(owner.tenant)[0],
        token=raw,
        scope="openid",
        expires=timezone.now() + timedelta(minutes=15),
    )
    return raw


@pytest.mark.parametrize(
    "credential",
    [
        "none",
        "owner JWT",
        "platform JWT",
        "workspace refresh token",
        "Server API key",
        "agent runtime token",
        "agent runtime token as a bearer",
        "visitor runtime token",
        "chat session token",
        "OAuth access token",
    ],
)
def test_every_other_credential_is_refused(api_client, assert_contract, tenant, agent, credential):
    if credential == "none":
        headers = {}
    elif credential == "owner JWT":
        headers = _bearer(session_issue(user=OwnerFactory(tenant=tenant), scope=SessionScope.OWNER).access)
    elif credential == "platform JWT":
        headers = _bearer(session_issue(user=PlatformOperatorFactory(), scope=SessionScope.PLATFORM).access)
    elif credential == "workspace refresh token":
        headers = _bearer(_login(api_client, tenant, "maria")["refreshToken"])
    elif credential == "Server API key":
        headers = server_headers(tenant)
    elif credential == "agent runtime token":
        headers = runtime_headers(tenant, TokenKind.AGENT, subject=agent.public_id)
    elif credential == "agent runtime token as a bearer":
        headers = _bearer(
            runtime_headers(tenant, TokenKind.AGENT, subject=agent.public_id)["HTTP_X_RINGNITY_SDK_SESSION"]
        )
    elif credential == "visitor runtime token":
        headers = runtime_headers(tenant)
    elif credential == "chat session token":
        from apps.chat.models import Visitor

        visitor = Visitor.objects.create(tenant=tenant, subject="vis_exchange1")
        headers = {"HTTP_X_RINGNITY_CHAT_SESSION": chat_session_issue(visitor=visitor)[1]}
    else:
        headers = _bearer(_oauth_token())
    response = _exchange(api_client, headers)
    body = assert_contract(response, OPERATION, status=401)
    assert "workspace access token" in body["details"][0]
    assert "token" not in (body.get("data") or {})


def test_it_is_documented_as_an_extension_of_the_dashboard_auth():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/auth/workspace-agent-token"]["post"]
    assert operation["operationId"] == OPERATION
    assert operation["x-ringnity-extension"] is True
    assert operation["tags"] == ["Dashboard Auth"]
    assert operation["security"] == [{"WorkspaceBearer": []}]
    assert "agent runtime token" in operation["description"]
    assert "401" in operation["responses"]
