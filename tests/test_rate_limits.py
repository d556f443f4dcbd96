"""Rate limits you can see (issue 22): ``RateLimit-Limit`` / ``-Remaining`` / ``-Reset`` on every API route
of every credential kind, per credential and per client address, from the tenant's plan; 429 ``RATE_LIMITED``
with ``Retry-After`` and the same fields; the one fixed-window counter costs one Redis round trip."""

import secrets
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from apps.developer.tests.factories import ServerApiKeyFactory, server_key_headers
from apps.identity.sessions import SessionScope
from apps.identity.tests.fixtures import dashboard_headers
from apps.oauth.tests.factories import make_client
from apps.plans.tests.factories import subscribe
from apps.runtime.tests.fixtures import FEATURES, runtime_headers
from apps.runtime.tokens import TokenKind
from apps.tenants.tests.factories import OwnerFactory, PlatformOperatorFactory, StaffFactory, TenantFactory
from ringnity.api.throttling import Window, window_charge

pytestmark = pytest.mark.django_db


def _plan(tenant, *, per_credential=None, per_address=None) -> None:
    quotas = {"contacts": "unlimited", "oauth_clients": "unlimited"}
    if per_credential is not None:
        quotas["api_requests_per_minute"] = per_credential
    if per_address is not None:
        quotas["api_requests_per_minute_per_ip"] = per_address
    subscribe(tenant, features={**FEATURES, "oauth_login": True}, quotas=quotas)


def _limits(response) -> tuple[int, int, int]:
    return tuple(int(response[name]) for name in ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"))


def _oauth_headers(user) -> dict:
    client, _secret = make_client(user.tenant)
    raw = secrets.token_urlsafe(30)
    get_access_token_model().objects.create(
        user=user, application=client, token=raw, scope="openid profile", expires=timezone.now() + timedelta(minutes=5)
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_every_credential_kind_sees_its_budget_on_a_sample_of_routes(api_client, assert_contract):
    tenant = TenantFactory(slug="acme")
    _plan(tenant, per_credential=50, per_address=500)
    owner = OwnerFactory(tenant=tenant)
    agent = StaffFactory(tenant=tenant, role="agent")
    samples = [
        (
            "server_key",
            "/api/server/health",
            "getServerApiHealth",
            server_key_headers(ServerApiKeyFactory(tenant=tenant)),
        ),
        ("owner", "/api/auth/owner-me", "getOwnerSession", dashboard_headers(owner)),
        ("workspace", "/api/sdk/developer", "getDeveloperSettings", dashboard_headers(owner, SessionScope.WORKSPACE)),
        ("visitor", "/api/chat/visitor/availability", "getVisitorChatAvailability", runtime_headers(tenant)),
        (
            "agent",
            "/api/agent-sdk/me",
            "getAgentProfile",
            runtime_headers(tenant, TokenKind.AGENT, subject=agent.public_id),
        ),
        ("admin_sdk", "/api/admin-sdk/tenant", "getAdminTenant", runtime_headers(tenant, TokenKind.ADMIN)),
        ("oauth", "/api/oauth/userinfo", "getRingnityOAuthUserInfo", _oauth_headers(owner)),
    ]
    for kind, path, operation, headers in samples:
        first = api_client.get(path, **headers)
        assert_contract(first, operation, status=200)
        second = api_client.get(path, **headers)
        assert_contract(second, operation, status=200)
        limit, remaining, reset = _limits(second)
        assert (limit, remaining) == (50, 48), kind  # the credential's budget, tighter than the address's
        assert 1 <= reset <= 60, kind
    operator = dashboard_headers(PlatformOperatorFactory(), SessionScope.PLATFORM)
    response = api_client.get("/api/platform/plan-contracts", **operator)
    assert_contract(response, "getPlatformPlanContracts", status=200)
    assert _limits(response)[:2] == (600, 599)  # no tenant, no plan: the deployment's API_RATE_LIMIT_PER_MINUTE
    anonymous = api_client.get("/api/sdk/health")
    assert_contract(anonymous, "getRuntimeHealth", status=200)
    assert _limits(anonymous)[0] == 1200  # the address's deployment-wide budget


def test_the_limit_is_per_credential_two_keys_of_one_tenant_do_not_share(api_client, assert_contract):
    tenant = TenantFactory()
    _plan(tenant, per_credential=3, per_address=100)
    first, second = (server_key_headers(ServerApiKeyFactory(tenant=tenant)) for _ in range(2))
    for _ in range(3):
        assert_contract(api_client.get("/api/server/health", **first), "getServerApiHealth", status=200)
    refused = api_client.get("/api/server/health", **first)
    body = assert_contract(refused, "getServerApiHealth", status=429)
    assert body["code"] == "RATE_LIMITED"
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert _limits(refused)[:2] == (3, 0)
    other = api_client.get("/api/server/health", **second)
    assert_contract(other, "getServerApiHealth", status=200)
    assert _limits(other)[:2] == (3, 2)


def test_the_address_budget_is_shared_by_a_tenants_credentials_and_not_by_other_addresses(api_client, assert_contract):
    tenant = TenantFactory()
    _plan(tenant, per_credential=100, per_address=4)
    keys = [server_key_headers(ServerApiKeyFactory(tenant=tenant)) for _ in range(2)]
    for index in range(4):
        response = api_client.get("/api/server/health", **keys[index % 2])
        assert_contract(response, "getServerApiHealth", status=200)
    assert _limits(response)[:2] == (4, 0)
    refused = api_client.get("/api/server/health", **keys[0])
    assert assert_contract(refused, "getServerApiHealth", status=429)["code"] == "RATE_LIMITED"
    elsewhere = api_client.get("/api/server/health", REMOTE_ADDR="203.0.113.9", **keys[0])
    assert_contract(elsewhere, "getServerApiHealth", status=200)
    other_tenant = TenantFactory()
    _plan(other_tenant, per_credential=100, per_address=4)
    key = server_key_headers(ServerApiKeyFactory(tenant=other_tenant))
    assert_contract(api_client.get("/api/server/health", **key), "getServerApiHealth", status=200)


def test_anonymous_routes_are_limited_per_address(api_client, assert_contract, settings):
    settings.API_RATE_LIMIT_PER_IP_PER_MINUTE = 2
    for _ in range(2):
        assert_contract(api_client.get("/api/sdk/health"), "getRuntimeHealth", status=200)
    refused = api_client.get("/api/sdk/health")
    assert assert_contract(refused, "getRuntimeHealth", status=429)["code"] == "RATE_LIMITED"
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert _limits(refused)[:2] == (2, 0)
    other = api_client.get("/api/sdk/health", REMOTE_ADDR="198.51.100.7")
    assert_contract(other, "getRuntimeHealth", status=200)
    assert _limits(other)[:2] == (2, 1)


def test_a_plan_change_applies_to_the_next_request(api_client, assert_contract):
    tenant = TenantFactory()
    _plan(tenant, per_credential=10)
    headers = server_key_headers(ServerApiKeyFactory(tenant=tenant))
    assert _limits(api_client.get("/api/server/health", **headers))[0] == 10
    _plan(tenant, per_credential=20)  # a console or platform-API edit invalidates the entitlements
    assert _limits(api_client.get("/api/server/health", **headers))[:2] == (20, 18)


def test_liveness_draws_on_no_budget(api_client, settings):
    settings.API_RATE_LIMIT_PER_IP_PER_MINUTE = 1
    for _ in range(3):
        response = api_client.get("/api/health/live")
        assert response.status_code == 200
        assert "RateLimit-Limit" not in response


def test_window_charge_is_all_or_nothing_in_one_redis_round_trip(monkeypatch):
    windows = [Window("test:a", 2, 60), Window("test:b", 1, 60, amount=1)]
    now = 1_800_000_010.0
    first = window_charge(windows, now=now)
    assert not first.refused
    assert [(s.limit, s.remaining, s.reset) for s in first.states] == [(2, 1, 50), (1, 0, 50)]
    second = window_charge(windows, now=now)
    assert second.refused
    assert second.retry_after == 50
    assert [s.over for s in second.states] == [False, True]
    third = window_charge([windows[0]], now=now)  # the refused charge took nothing from "a"
    assert not third.refused
    assert third.states[0].remaining == 0
    client = getattr(cache, "client", None)
    if client is None or not hasattr(client, "get_client"):
        return  # the embedded default's local cache has no round trips to count
    connection_class = client.get_client(write=True).connection_pool.connection_class
    sent = []
    original = connection_class.send_packed_command
    monkeypatch.setattr(
        connection_class, "send_packed_command", lambda self, *a, **k: sent.append(1) or original(self, *a, **k)
    )
    window_charge([Window("test:c", 5, 60), Window("test:d", 5, 60), Window("test:e", 5, 60)], now=now)
    assert len(sent) == 1
