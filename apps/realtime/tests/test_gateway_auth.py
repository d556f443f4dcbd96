"""The gateway's front door, against a real uvicorn process: the auth frame, origins, close codes,
revocation, connection limits, and a flood of bad connects that leaves the server healthy."""

from __future__ import annotations

import time

import pytest
from websockets.exceptions import InvalidStatus

from apps.chat.tests.chat_fixtures import CHAT_FEATURES, agent_headers, make_agent, visitor_headers
from apps.developer.models import AllowedDomain, ServerApiKey
from apps.developer.services import server_api_key_disable
from apps.realtime.protocol import Close
from apps.runtime.tests.fixtures import ready_tenant, runtime_headers
from apps.runtime.tokens import TokenKind
from apps.tenants.models import StaffRole

from .gateway import gateway_process, token_of

pytestmark = pytest.mark.django_db(transaction=True)
SESSIONS = "/api/chat/visitor/sessions"


def realtime_tenant(connections=100, **fields):
    return ready_tenant(
        features=CHAT_FEATURES,
        quotas={"contacts": "unlimited", "realtime_connections": connections},
        **fields,
    )


@pytest.fixture(scope="module")
def gateway(django_db_setup):
    with gateway_process() as server:
        yield server


def test_each_token_kind_authenticates_with_the_first_frame(gateway, api_client, assert_contract):
    tenant = realtime_tenant()
    agent = make_agent(tenant, role=StaffRole.AGENT)
    response = api_client.post(SESSIONS, {}, format="json", **visitor_headers(tenant, subject="vis_a"))
    session = assert_contract(response, "createVisitorChatSession", status=201)["data"]
    tokens = {
        "visitor": [session["sessionToken"], token_of(visitor_headers(tenant, subject="vis_a"))],
        "agent": [token_of(agent_headers(agent))],
        "admin": [token_of(runtime_headers(tenant, TokenKind.ADMIN, subject="admin-1"))],
    }
    for kind, values in tokens.items():
        for token in values:
            sock = gateway.socket()
            ready = sock.auth(token)
            assert ready["principal"]["kind"] == kind
            assert ready["principal"]["tenantId"] == tenant.public_id
            assert ready["cursor"] == "0"
            sock.send({"type": "ping"})
            assert sock.recv_type("pong")["type"] == "pong"
            sock.close()
    assert ready["principal"]["id"] == "admin-1"


def test_refusals_close_with_the_documented_codes(gateway):
    tenant = realtime_tenant()
    expired = token_of(visitor_headers(tenant, expires_in=-10))
    cases = [
        ({"type": "auth", "token": "not-a-token"}, Close.AUTH_FAILED, "AUTH_TOKEN_INVALID"),
        ({"type": "auth", "token": "rn_cs_unknown"}, Close.AUTH_FAILED, "AUTH_TOKEN_INVALID"),
        ({"type": "auth", "token": expired}, Close.TOKEN_EXPIRED, "TOKEN_EXPIRED"),
        ({"type": "subscribe", "conversationId": "cnv_x"}, Close.AUTH_FAILED, "AUTH_REQUIRED"),
    ]
    for frame, code, error in cases:
        sock = gateway.socket()
        sock.send(frame)
        closed, frames = sock.closed()
        assert closed == code, frame
        assert [f["code"] for f in frames if f["type"] == "error"] == [error]
    sock = gateway.socket()
    sock.send_raw("[1, 2]")
    assert sock.closed()[0] == Close.POLICY
    sock = gateway.socket()
    sock.send_raw(b"\x00binary")
    assert sock.closed()[0] == Close.POLICY


def test_a_socket_without_an_auth_frame_is_closed_after_the_deadline(gateway):
    sock = gateway.socket()
    started = time.monotonic()
    code, frames = sock.closed(timeout=15)
    assert code == Close.AUTH_FAILED
    assert frames[-1]["code"] == "AUTH_REQUIRED"
    assert time.monotonic() - started >= 1.5  # REALTIME_AUTH_TIMEOUT_SECONDS=2 in the test server


def test_browser_origins_follow_the_rest_cors_rule(gateway):
    tenant = realtime_tenant()
    other = realtime_tenant()
    AllowedDomain.objects.create(tenant=tenant, domain="shop.example")
    AllowedDomain.objects.create(tenant=other, domain="other.example")
    token = token_of(visitor_headers(tenant))

    with pytest.raises(InvalidStatus) as refused:
        gateway.socket(origin="https://evil.example")
    assert refused.value.response.status_code == 403

    assert gateway.socket(origin="https://shop.example").auth(token)["principal"]["kind"] == "visitor"
    assert gateway.socket(origin=f"http://127.0.0.1:{gateway.port}").auth(token)  # the gateway's own pages

    sock = gateway.socket(origin="https://other.example")  # allowed for another tenant only
    sock.send({"type": "auth", "token": token})
    code, frames = sock.closed()
    assert code == Close.FORBIDDEN
    assert frames[-1]["code"] == "SDK_ORIGIN_NOT_ALLOWED"


def test_a_disabled_keys_sockets_close_within_seconds_and_the_plan_limits_connections(gateway):
    tenant = realtime_tenant(connections=2)
    agent = make_agent(tenant)
    headers = agent_headers(agent)
    key = ServerApiKey.objects.for_tenant(tenant).get()
    first = gateway.socket()
    first.auth(token_of(headers))
    second = gateway.socket()
    second.auth(token_of(headers))
    third = gateway.socket()
    third.send({"type": "auth", "token": token_of(headers)})
    code, frames = third.closed()
    assert code == Close.RATE_LIMITED
    assert frames[-1]["code"] == "QUOTA_EXCEEDED"

    server_api_key_disable(tenant=tenant, public_id=key.public_id)
    started = time.monotonic()
    assert first.closed(timeout=10)[0] == Close.REVOKED
    assert second.closed(timeout=10)[0] == Close.REVOKED
    assert time.monotonic() - started < 10


def test_a_thousand_bad_connects_are_refused_and_the_server_stays_healthy(gateway):
    tenant = realtime_tenant()
    for number in range(1000):
        sock = gateway.socket()
        sock.send({"type": "auth", "token": f"bad-{number}"})
        assert sock.closed()[0] == Close.AUTH_FAILED
    assert gateway.healthy()
    good = gateway.socket()
    assert good.auth(token_of(visitor_headers(tenant)))["principal"]["kind"] == "visitor"
