"""RuntimeBearer: one signed format, one authentication class, and no token passes as another kind."""

import jwt
import pytest
from django.conf import settings
from django.urls import path
from rest_framework.response import Response

from apps.developer.tests.factories import ServerApiKeyFactory
from apps.identity.sessions import SessionScope, session_issue
from apps.plans.tests.factories import subscribe
from apps.runtime.tests.fixtures import runtime_headers
from apps.runtime.tokens import RuntimeBearerAuthentication, TokenKind, token_decode, token_issue
from apps.tenants.tests.factories import OwnerFactory, StaffFactory, TenantFactory
from ringnity.api.principal import PrincipalKind
from ringnity.api.views import TenantAPIView

pytestmark = pytest.mark.django_db


def _kind_view(kind):
    class KindOnlyView(TenantAPIView):
        authentication_classes = [RuntimeBearerAuthentication]
        accepted_principals = {kind}

        def get(self, request):
            return Response({"kind": self.principal.kind, "tenant": self.tenant.public_id})

    return KindOnlyView.as_view()


# A test-only URLconf: one route per runtime kind (agent and visitor routes belong to other issues).
urlpatterns = [
    path("api/test/visitor", _kind_view(PrincipalKind.VISITOR)),
    path("api/test/agent", _kind_view(PrincipalKind.AGENT)),
    path("api/test/admin", _kind_view(PrincipalKind.ADMIN_SDK)),
]
ROUTES = {
    TokenKind.VISITOR: "/api/test/visitor",
    TokenKind.AGENT: "/api/test/agent",
    TokenKind.ADMIN: "/api/test/admin",
}


@pytest.fixture
def tenant():
    return TenantFactory()


def _headers(tenant, kind, **kw):
    if kind == TokenKind.AGENT:
        kw.setdefault("subject", StaffFactory(tenant=tenant).public_id)
    return runtime_headers(tenant, kind, **kw)


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("route_kind", list(ROUTES))
@pytest.mark.parametrize("token_kind", [TokenKind.VISITOR, TokenKind.AGENT, TokenKind.ADMIN])
def test_a_runtime_token_passes_only_on_routes_of_its_own_kind(api_client, tenant, route_kind, token_kind):
    response = api_client.get(ROUTES[route_kind], **_headers(tenant, token_kind))
    if route_kind == token_kind:
        assert response.status_code == 200
        assert response.json()["data"]["tenant"] == tenant.public_id
    else:
        assert response.status_code == 401
        assert response.json()["code"] == "AUTH_TOKEN_INVALID"


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("route_kind", list(ROUTES))
def test_a_visitor_context_token_is_never_a_session(api_client, tenant, route_kind):
    headers = _headers(tenant, TokenKind.VISITOR_CONTEXT, scopes=[])
    response = api_client.get(ROUTES[route_kind], **headers)
    assert response.status_code == 401
    assert response.json()["code"] == "AUTH_TOKEN_INVALID"


@pytest.mark.urls(__name__)
def test_missing_session_is_401_sdk_session_required(api_client):
    response = api_client.get("/api/test/visitor")
    assert response.status_code == 401
    assert response.json()["code"] == "SDK_SESSION_REQUIRED"


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("kind", list(ROUTES))
def test_expired_session_is_401_token_expired(api_client, tenant, kind):
    response = api_client.get(ROUTES[kind], **_headers(tenant, kind, expires_in=-5))
    assert response.status_code == 401
    assert response.json()["code"] == "TOKEN_EXPIRED"


@pytest.mark.urls(__name__)
def test_tampered_or_foreign_signed_tokens_are_401(api_client, tenant):
    good = _headers(tenant, TokenKind.ADMIN)["HTTP_X_RINGNITY_SDK_SESSION"]
    header, payload, signature = good.split(".")
    tampered = f"{header}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    claims = jwt.decode(good, options={"verify_signature": False})
    # Same claims signed with the dashboard JWT key: a different key, so refused.
    forged = jwt.encode(claims, settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256")
    for raw in (tampered, forged, "not-a-token", "rn_sk_live_abc"):
        response = api_client.get("/api/test/admin", HTTP_X_RINGNITY_SDK_SESSION=raw)
        assert response.status_code == 401, raw
        assert response.json()["code"] == "AUTH_TOKEN_INVALID"


@pytest.mark.urls(__name__)
def test_dashboard_jwt_is_not_a_runtime_session(api_client, tenant):
    owner = OwnerFactory(tenant=tenant)
    access = session_issue(user=owner, scope=SessionScope.OWNER).access
    response = api_client.get("/api/test/admin", HTTP_X_RINGNITY_SDK_SESSION=access)
    assert response.status_code == 401
    assert response.json()["code"] == "AUTH_TOKEN_INVALID"


@pytest.mark.urls(__name__)
def test_a_session_of_an_inactive_tenant_is_refused(api_client, tenant):
    headers = _headers(tenant, TokenKind.VISITOR)
    tenant.is_active = False
    tenant.save()
    response = api_client.get("/api/test/visitor", **headers)
    assert response.status_code == 401
    assert response.json()["code"] == "AUTH_ACCOUNT_DISABLED"


@pytest.mark.urls(__name__)
def test_an_agent_session_ends_when_the_agent_is_deactivated(api_client, tenant):
    agent = StaffFactory(tenant=tenant)
    headers = _headers(tenant, TokenKind.AGENT, subject=agent.public_id)
    assert api_client.get("/api/test/agent", **headers).status_code == 200
    agent.is_active = False
    agent.save()
    response = api_client.get("/api/test/agent", **headers)
    assert response.status_code == 401
    assert response.json()["code"] == "AUTH_ACCOUNT_DISABLED"


def test_runtime_token_in_authorization_is_not_a_server_api_key(api_client, assert_contract, tenant):
    subscribe(tenant, features={"server_api": True})
    token = _headers(tenant, TokenKind.ADMIN)["HTTP_X_RINGNITY_SDK_SESSION"]
    response = api_client.get("/api/server/tenant", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert_contract(response, "getServerTenant", status=401)
    assert response.json()["code"] == "SERVER_API_KEY_INVALID"


def test_server_api_key_is_not_a_runtime_session(api_client, assert_contract, tenant):
    key = ServerApiKeyFactory(tenant=tenant)
    response = api_client.get("/api/admin-sdk/tenant", HTTP_X_RINGNITY_SDK_SESSION=key.secret)
    assert_contract(response, "getAdminTenant", status=401)
    assert response.json()["code"] == "AUTH_TOKEN_INVALID"


def test_token_carries_kind_tenant_subject_scopes_expiry_and_id(tenant):
    issued = token_issue(kind=TokenKind.AGENT, tenant=tenant, subject="usr_1", scopes={"b", "a"}, expires_in=120)
    claims = token_decode(issued.token, kinds={TokenKind.AGENT})
    assert claims["knd"] == "agent"
    assert claims["tid"] == tenant.public_id
    assert claims["sub"] == "usr_1"
    assert claims["scp"] == ["a", "b"]
    assert claims["exp"] - claims["iat"] == 120
    assert claims["jti"]
