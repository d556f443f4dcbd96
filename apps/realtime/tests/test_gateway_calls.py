"""Against a real gateway process: the call link's credential signals its one call and nothing else, and an
agent token exchanged for a workspace login closes its sockets when that login ends."""

from __future__ import annotations

import pytest

from apps.calls import link_services
from apps.calls.models import CallSession, CallStatus
from apps.calls.tests.factories import visitor_actor
from apps.chat.models import Conversation
from apps.chat.tests.chat_fixtures import CHAT_FEATURES, agent_headers, make_agent, visitor_headers
from apps.realtime.protocol import Close
from apps.runtime.tests.fixtures import ready_tenant
from apps.tenants.models import StaffRole
from apps.tenants.tests.factories import DEFAULT_PASSWORD

from .gateway import gateway_process, token_of

pytestmark = pytest.mark.django_db(transaction=True)
VISITOR = "/api/chat/visitor/conversations"


def call_tenant():
    features = {**CHAT_FEATURES, "voice_call": True}
    return ready_tenant(features=features, quotas={"contacts": "unlimited", "realtime_connections": 100})


@pytest.fixture(scope="module")
def gateway(django_db_setup):
    with gateway_process() as server:
        yield server


def joined_call(api_client, assert_contract, tenant, subject: str):
    """A visitor's conversation, and the call its call link started: ``(conversation id, join)``."""
    headers = visitor_headers(tenant, subject=subject)
    response = api_client.post(VISITOR, {"subject": "Call me"}, format="json", **headers)
    conversation_id = assert_contract(response, "createVisitorConversation", status=201)["data"]["conversation"][
        "conversationId"
    ]
    conversation = Conversation.objects.get(public_id=conversation_id)
    _, token = link_services.call_link_create(
        tenant=tenant,
        actor=visitor_actor(conversation.visitor),
        conversation_id=conversation_id,
        service="voice_call",
    )
    return conversation_id, link_services.call_link_join(token=token), headers


def test_the_call_link_credential_signals_its_call_only(gateway, api_client, assert_contract):
    tenant, other_tenant = call_tenant(), call_tenant()
    agent = make_agent(tenant, role=StaffRole.SUPERVISOR)
    conversation_id, joined, visitor = joined_call(api_client, assert_contract, tenant, "vis_link")
    call_id = joined.call.public_id
    _, other_call, _ = joined_call(api_client, assert_contract, tenant, "vis_link_other")
    _, foreign_call, _ = joined_call(api_client, assert_contract, other_tenant, "vis_link_foreign")

    bound = gateway.socket()
    ready = bound.auth(joined.credential.token)
    assert ready["principal"]["callSessionId"] == call_id
    agent_socket = gateway.socket()
    agent_socket.auth(token_of(agent_headers(agent)))
    agent_socket.send({"type": "subscribe", "conversationId": conversation_id})
    agent_socket.recv_type("subscribed")

    # Its call: signalling both ways, and the call's durable events.
    bound.send({"type": "call.offer", "callSessionId": call_id, "sdp": "v=0 offer"})
    assert agent_socket.recv_type("call.offer")["sender"]["kind"] == "visitor"
    response = api_client.patch(f"/api/calls/sessions/{call_id}/answer", {}, format="json", **agent_headers(agent))
    assert_contract(response, "answerCallSession", status=200)
    assert bound.recv_type("call.answered")["data"]["id"] == call_id
    agent_socket.send({"type": "call.answer", "callSessionId": call_id, "sdp": "v=0 answer"})
    assert bound.recv_type("call.answer")["sdp"] == "v=0 answer"
    agent_socket.send({"type": "call.ice", "callSessionId": call_id, "candidate": {"candidate": "c1"}})
    assert bound.recv_type("call.ice")["candidate"] == {"candidate": "c1"}

    # Nothing else: another call of the tenant or another tenant's is not found; no conversation frames.
    for other in (other_call.call.public_id, foreign_call.call.public_id):
        bound.send({"type": "call.offer", "callSessionId": other, "sdp": "v=0 intruder"})
        assert bound.recv_type("error")["code"] == "CALL_SESSION_NOT_FOUND"
    for frame in (
        {"type": "subscribe", "conversationId": conversation_id, "requestId": "s1"},
        {"type": "typing", "conversationId": conversation_id, "isTyping": True},
        {"type": "presence", "status": "online"},
    ):
        bound.send(frame)
        refused = bound.recv_type("error")
        assert (refused["code"], refused.get("requestId")) == ("PERMISSION_DENIED", frame.get("requestId"))
    response = api_client.post(f"{VISITOR}/{conversation_id}/messages", {"body": "hi"}, format="json", **visitor)
    assert_contract(response, "sendVisitorConversationMessage", status=201)
    assert agent_socket.recv_type("message.created", skip=("ping", "presence", "call.answered"))["data"]["body"] == "hi"
    agent_socket.send({"type": "typing", "conversationId": conversation_id, "isTyping": True})
    bound.nothing_for(1.5)  # neither the message nor the typing reach the call's socket

    # A hangup ends the call session; the call's socket hears the end.
    bound.send({"type": "call.hangup", "callSessionId": call_id, "reason": "bye"})
    assert agent_socket.recv_type("call.hangup", skip=("ping", "presence", "call.ended"))["reason"] == "bye"
    assert bound.recv_type("call.ended")["data"]["status"] == "ended"
    assert CallSession.objects.get(public_id=call_id).status == CallStatus.ENDED

    # The socket stays with its call: a visitor's chat token of the same visitor cannot widen it.
    bound.send({"type": "auth", "token": token_of(visitor)})
    code, _ = bound.closed()
    assert code == Close.AUTH_FAILED


def test_a_visitor_calls_token_without_a_call_session_is_refused(gateway):
    tenant = call_tenant()
    sock = gateway.socket()
    sock.send({"type": "auth", "token": token_of(visitor_headers(tenant, scopes=["visitor:calls"]))})
    code, frames = sock.closed()
    assert code == Close.FORBIDDEN
    assert frames[-1]["code"] == "PERMISSION_DENIED"


def _workspace_agent_token(client, tenant, username: str) -> tuple[str, dict]:
    login = client.post(
        "/api/auth/workspace-login",
        {"username": username, "password": DEFAULT_PASSWORD},
        format="json",
        HTTP_X_RINGNITY_TENANT=tenant.slug,
    )
    session = login.json()["data"]
    exchange = client.post(
        "/api/auth/workspace-agent-token", {}, format="json", HTTP_AUTHORIZATION=f"Bearer {session['accessToken']}"
    )
    assert exchange.status_code == 201, exchange.content
    return exchange.json()["data"]["token"], session


@pytest.mark.parametrize("ending", ["logout", "refresh_reuse", "deactivation"])
def test_an_exchanged_agent_tokens_socket_closes_when_its_login_ends(gateway, api_client, ending):
    tenant = call_tenant()
    agent = make_agent(tenant, role=StaffRole.AGENT, username=f"maria_{ending}")
    token, session = _workspace_agent_token(api_client, tenant, agent.username)
    other_token, _ = _workspace_agent_token(api_client, tenant, agent.username)  # another login: stays
    sock, other = gateway.socket(), gateway.socket()
    assert sock.auth(token)["principal"]["id"] == agent.public_id
    other.auth(other_token)

    refresh = {"refreshToken": session["refreshToken"]}
    if ending == "logout":
        assert api_client.post("/api/auth/workspace-logout", refresh, format="json").status_code == 200
    elif ending == "refresh_reuse":
        assert api_client.post("/api/auth/workspace-refresh", refresh, format="json").status_code == 200
        assert api_client.post("/api/auth/workspace-refresh", refresh, format="json").status_code == 401
    else:
        agent.is_active = False
        agent.save(update_fields=["is_active"])
    code, _ = sock.closed(timeout=15)
    assert code == Close.REVOKED
    if ending != "deactivation":
        other.nothing_for(2.5, ignore=("ping", "presence"))  # REALTIME_REVALIDATE_SECONDS=1: checked twice since
        other.send({"type": "ping"})
        assert other.recv_type("pong")["type"] == "pong"
