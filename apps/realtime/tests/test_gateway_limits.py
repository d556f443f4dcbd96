"""Against real gateway processes: the agent a conversation is transferred away from hears where it went, typing
is relayed at most twice a second, the per-address connection limit, and the Procfile's gateway line refuses
permessage-deflate."""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
import uuid

import pytest
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
from websockets.sync.client import connect

from apps.chat.tests.chat_fixtures import CHAT_FEATURES, agent_headers, make_agent, visitor_headers
from apps.realtime.actions import TYPING_PER_SECOND
from apps.realtime.protocol import PATH, Close
from apps.runtime.tests.fixtures import ready_tenant
from apps.tenants.models import StaffRole
from ringnity.testing.servers import free_port, server_env, stop_process, wait_for_port

from .gateway import ROOT, gateway_process, token_of

pytestmark = pytest.mark.django_db(transaction=True)
AGENT = "/api/agent-sdk/conversations"


def realtime_tenant():
    return ready_tenant(features=CHAT_FEATURES, quotas={"contacts": "unlimited", "realtime_connections": 100})


@pytest.fixture(scope="module")
def gateway(django_db_setup):
    with gateway_process() as server:
        yield server


def _assign(client, assert_contract, by, conversation_id: str, to) -> dict:
    response = client.post(
        f"{AGENT}/{conversation_id}/assign", {"assignedAgentId": to.public_id}, format="json", **agent_headers(by)
    )
    return assert_contract(response, "assignAgentConversation", status=200)


def test_the_agent_a_conversation_is_transferred_away_from_hears_conversation_assigned(
    gateway, api_client, assert_contract
):
    tenant = realtime_tenant()
    supervisor = make_agent(tenant, role=StaffRole.SUPERVISOR)
    first, second = make_agent(tenant, role=StaffRole.AGENT), make_agent(tenant, role=StaffRole.AGENT)
    visitor = visitor_headers(tenant, subject="vis_transfer")
    response = api_client.post("/api/chat/visitor/conversations", {"subject": "Hi"}, format="json", **visitor)
    conversation_id = assert_contract(response, "createVisitorConversation", status=201)["data"]["conversation"][
        "conversationId"
    ]
    first_socket, second_socket = gateway.socket(), gateway.socket()
    first_socket.auth(token_of(agent_headers(first)))
    second_socket.auth(token_of(agent_headers(second)))

    _assign(api_client, assert_contract, supervisor, conversation_id, first)
    cursor = first_socket.recv_type("conversation.assigned")["cursor"]
    _assign(api_client, assert_contract, supervisor, conversation_id, second)
    for sock in (first_socket, second_socket):
        heard = sock.recv_type("conversation.assigned")
        assert (heard["data"]["conversationId"], heard["data"]["assignedAgentId"]) == (
            conversation_id,
            second.public_id,
        )

    # Only that: the conversation's messages are no longer the first agent's.
    api_client.post(
        f"/api/chat/visitor/conversations/{conversation_id}/messages", {"body": "x"}, format="json", **visitor
    )
    assert second_socket.recv_type("message.created")["data"]["body"] == "x"
    first_socket.nothing_for(1.0)

    # A reconnect that resumes from before the transfer gets it, too (the same rule reads the same history).
    first_socket.close()
    again = gateway.socket()
    again.auth(token_of(agent_headers(first)))
    again.send({"type": "resume", "cursor": cursor})
    assert again.recv_type("conversation.assigned")["data"]["assignedAgentId"] == second.public_id
    assert again.recv_type("resumed")["replayed"] == 1


def test_typing_is_relayed_at_most_twice_a_second(gateway, api_client, assert_contract):
    tenant = realtime_tenant()
    agent = make_agent(tenant, role=StaffRole.SUPERVISOR)
    visitor = visitor_headers(tenant, subject="vis_typing")
    response = api_client.post("/api/chat/visitor/conversations", {"subject": "Hi"}, format="json", **visitor)
    conversation_id = assert_contract(response, "createVisitorConversation", status=201)["data"]["conversation"][
        "conversationId"
    ]
    typist, listener = gateway.socket(), gateway.socket()
    typist.auth(token_of(visitor))
    listener.auth(token_of(agent_headers(agent)))
    listener.send({"type": "subscribe", "conversationId": conversation_id})
    listener.recv_type("subscribed")

    for states in ([True] * 30, [True, False] * 15):  # the same state, then flipping: neither floods
        started = time.monotonic()
        for is_typing in states:
            typist.send({"type": "typing", "conversationId": conversation_id, "isTyping": is_typing})
        typist.send({"type": "ping"})
        typist.recv_type("pong")  # the gateway has handled every frame before it
        elapsed = time.monotonic() - started
        relayed = []
        try:
            while True:
                relayed.append(listener.recv_type("typing", timeout=1.5, skip=("ping", "conversation.created")))
        except TimeoutError:
            pass
        assert 1 <= len(relayed) <= TYPING_PER_SECOND * (int(elapsed) + 1), (len(relayed), elapsed)
        assert relayed[0]["isTyping"] is True
        time.sleep(1.1)  # the next round starts with a fresh second


def test_the_per_address_connection_limit():
    # A key prefix of its own: other tests' sockets from 127.0.0.1 do not count here.
    with gateway_process(REALTIME_MAX_CONNECTIONS_PER_IP=2, CACHE_KEY_PREFIX=f"rt-ip-{uuid.uuid4().hex}") as server:
        first, second = server.socket(), server.socket()
        third = server.socket()
        code, frames = third.closed()
        assert code == Close.RATE_LIMITED
        assert frames[-1]["code"] == "RATE_LIMITED"
        first.close()
        deadline = time.monotonic() + 10
        while True:  # the closed socket's entry goes when the server has seen the close
            fourth = server.socket()
            fourth.send({"type": "ping"})
            try:
                assert fourth.recv_type("pong")["type"] == "pong"
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        second.send({"type": "ping"})
        assert second.recv_type("pong")["type"] == "pong"


def test_the_procfile_gateway_refuses_permessage_deflate():
    line = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("realtime:"))
    port = free_port()
    values = {"${HOST}": "127.0.0.1", "${REALTIME_PORT}": str(port), "${SHUTDOWN_GRACE_SECONDS}": "5"}
    words = [values.get(word, word) for word in shlex.split(line.removeprefix("realtime:"))]
    assert words[:2] == ["exec", "uvicorn"]
    command = [sys.executable, "-m", "uvicorn", *words[2:]]
    process = subprocess.Popen(
        command, cwd=ROOT, env=server_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        wait_for_port(process, port, what="the Procfile's realtime process")
        offered = [ClientPerMessageDeflateFactory()]
        with connect(f"ws://127.0.0.1:{port}/{PATH}", extensions=offered, open_timeout=10) as ws:
            assert ws.protocol.extensions == []  # offered, not taken
            assert "permessage-deflate" not in (ws.response.headers.get("Sec-WebSocket-Extensions") or "")
    finally:
        stop_process(process)
