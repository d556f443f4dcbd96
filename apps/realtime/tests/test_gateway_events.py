"""Durable and ephemeral events through real gateway processes: REST commits reach the right sockets
(also across processes), a reconnect with a cursor gets exactly what it missed, and nothing reaches a
socket that may not hear it."""

from __future__ import annotations

import json
import time
import urllib.request
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.chat.message_services import message_send
from apps.chat.models import Conversation, SenderType
from apps.chat.tests.chat_fixtures import CHAT_FEATURES, agent_headers, make_agent, make_department, visitor_headers
from apps.realtime.protocol import Close
from apps.runtime.tests.fixtures import ready_tenant, runtime_headers
from apps.runtime.tokens import TokenKind
from apps.tenants.models import StaffRole
from apps.webhooks.delivery import deliveries_prune
from apps.webhooks.models import WebhookEvent

from .gateway import gateway_process, token_of

pytestmark = pytest.mark.django_db(transaction=True)
VISITOR = "/api/chat/visitor/conversations"
AGENT = "/api/agent-sdk/conversations"


def realtime_tenant(**fields):
    features = {**CHAT_FEATURES, "voice_call": True}
    return ready_tenant(features=features, quotas={"contacts": "unlimited", "realtime_connections": 100}, **fields)


@pytest.fixture(scope="module")
def gateway(django_db_setup):
    with gateway_process() as server:
        yield server


def start(client, headers, assert_contract) -> str:
    response = client.post(VISITOR, {"subject": "Help"}, format="json", **headers)
    return assert_contract(response, "createVisitorConversation", status=201)["data"]["conversation"]["conversationId"]


def visitor_says(client, headers, conversation_id, body, assert_contract) -> dict:
    response = client.post(f"{VISITOR}/{conversation_id}/messages", {"body": body}, format="json", **headers)
    return assert_contract(response, "sendVisitorConversationMessage", status=201)["data"]["message"]


def agent_says(client, headers, conversation_id, body, assert_contract) -> dict:
    response = client.post(f"{AGENT}/{conversation_id}/messages", {"body": body}, format="json", **headers)
    return assert_contract(response, "sendAgentConversationMessage", status=201)["data"]["message"]


def test_a_visitor_message_reaches_the_agent_and_the_reply_reaches_the_visitor(gateway, api_client, assert_contract):
    tenant = realtime_tenant()
    agent = make_agent(tenant, role=StaffRole.SUPERVISOR)
    visitor = visitor_headers(tenant, subject="vis_one")
    agent_socket = gateway.socket()
    agent_socket.auth(token_of(agent_headers(agent)))
    conversation_id = start(api_client, visitor, assert_contract)
    visitor_socket = gateway.socket()
    visitor_socket.auth(token_of(visitor))

    assert agent_socket.recv_type("conversation.created")["data"]["conversationId"] == conversation_id
    sent = visitor_says(api_client, visitor, conversation_id, "Where is my order?", assert_contract)
    heard = agent_socket.recv_type("message.created")
    assert heard["data"]["messageId"] == sent["messageId"]
    assert heard["data"]["body"] == "Where is my order?"
    assert heard["id"] == WebhookEvent.objects.get(seq=int(heard["cursor"]), tenant=tenant).public_id
    assert visitor_socket.recv_type("message.created")["data"]["messageId"] == sent["messageId"]  # its own, too

    reply = agent_says(api_client, agent_headers(agent), conversation_id, "On its way.", assert_contract)
    assert visitor_socket.recv_type("message.created")["data"]["messageId"] == reply["messageId"]
    assert agent_socket.recv_type("message.created")["data"]["body"] == "On its way."


def test_an_event_committed_through_one_gateway_process_reaches_a_socket_on_another(gateway, api_client):
    tenant = realtime_tenant()
    agent = make_agent(tenant, role=StaffRole.SUPERVISOR)
    visitor = visitor_headers(tenant, subject="vis_two")
    with gateway_process() as second:
        agent_socket = second.socket()
        agent_socket.auth(token_of(agent_headers(agent)))
        request = urllib.request.Request(  # noqa: S310 - loopback; the REST call is served by the first process
            f"{gateway.http}{VISITOR}",
            data=json.dumps({"subject": "Across"}).encode(),
            headers={"Content-Type": "application/json", "X-Ringnity-SDK-Session": token_of(visitor)},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            conversation_id = json.loads(response.read())["data"]["conversation"]["conversationId"]
        assert agent_socket.recv_type("conversation.created")["data"]["conversationId"] == conversation_id


def test_the_chatwoot_scenario_a_reconnect_with_a_cursor_gets_exactly_what_it_missed(
    gateway, api_client, assert_contract
):
    tenant = realtime_tenant()
    agent_a = make_agent(tenant, role=StaffRole.SUPERVISOR)
    agent_b = make_agent(tenant, role=StaffRole.SUPERVISOR)
    visitor = visitor_headers(tenant, subject="vis_three")
    b_token = token_of(agent_headers(agent_b))
    b_socket = gateway.socket()
    b_socket.auth(b_token)
    conversation_id = start(api_client, visitor, assert_contract)
    visitor_says(api_client, visitor, conversation_id, "Hello?", assert_contract)
    b_socket.recv_type("conversation.created")
    cursor = b_socket.recv_type("message.created")["cursor"]
    b_socket.close()  # B's socket drops

    first = agent_says(api_client, agent_headers(agent_a), conversation_id, "Hi, I am A.", assert_contract)
    second = agent_says(api_client, agent_headers(agent_a), conversation_id, "How can I help?", assert_contract)

    b_socket = gateway.socket()
    b_socket.auth(b_token)
    b_socket.send({"type": "resume", "cursor": cursor})
    replayed = [b_socket.recv_type("message.created"), b_socket.recv_type("message.created")]
    assert [frame["data"]["messageId"] for frame in replayed] == [first["messageId"], second["messageId"]]
    assert int(replayed[0]["cursor"]) < int(replayed[1]["cursor"])
    resumed = b_socket.recv_type("resumed")
    assert resumed["replayed"] == 2
    assert resumed["cursor"] == replayed[1]["cursor"]
    b_socket.nothing_for(1.5)  # once: the live copies of those two are not sent again

    third = agent_says(api_client, agent_headers(agent_a), conversation_id, "Still there?", assert_contract)
    assert b_socket.recv_type("message.created")["data"]["messageId"] == third["messageId"]


def test_a_cursor_older_than_retention_or_unknown_gets_resync_required(gateway, api_client, assert_contract):
    tenant = realtime_tenant()
    agent = make_agent(tenant, role=StaffRole.SUPERVISOR)
    visitor = visitor_headers(tenant, subject="vis_four")
    conversation_id = start(api_client, visitor, assert_contract)
    visitor_says(api_client, visitor, conversation_id, "one", assert_contract)
    WebhookEvent.objects.filter(tenant=tenant).update(created_at=timezone.now() - timedelta(days=8))
    deliveries_prune(older_than=timedelta(days=30), events_older_than=timedelta(days=7))
    assert not WebhookEvent.objects.filter(tenant=tenant).exists()
    visitor_says(api_client, visitor, conversation_id, "two", assert_contract)

    sock = gateway.socket()
    newest = sock.auth(token_of(agent_headers(agent)))["cursor"]
    sock.send({"type": "resume", "cursor": "1"})
    resync = sock.recv_type("resync_required")
    assert resync == {"type": "resync_required", "reason": "cursor_expired", "cursor": newest}
    sock.send({"type": "resume", "cursor": "999999"})
    assert sock.recv_type("resync_required")["reason"] == "cursor_unknown"
    sock.send({"type": "resume", "cursor": str(int(newest) - 1)})
    assert sock.recv_type("message.created")["data"]["body"] == "two"
    assert sock.recv_type("resumed")["replayed"] == 1


def test_topics_follow_the_principal(gateway, api_client, assert_contract):
    tenant, other_tenant = realtime_tenant(), realtime_tenant()
    sales = make_department(tenant, "Sales")
    plain = make_agent(tenant, role=StaffRole.AGENT, department=sales)
    supervisor = make_agent(tenant, role=StaffRole.SUPERVISOR)
    ann, bob = visitor_headers(tenant, subject="vis_ann"), visitor_headers(tenant, subject="vis_bob")
    ann_conversation = start(api_client, ann, assert_contract)
    bob_conversation = start(api_client, bob, assert_contract)
    assign = api_client.post(
        f"{AGENT}/{ann_conversation}/assign",
        {"assignedAgentId": supervisor.public_id},
        format="json",
        **agent_headers(supervisor),
    )
    assert_contract(assign, "assignAgentConversation", status=200)

    ann_socket, bob_socket = gateway.socket(), gateway.socket()
    ann_socket.auth(token_of(ann))
    bob_socket.auth(token_of(bob))
    plain_socket, admin_socket, stranger = gateway.socket(), gateway.socket(), gateway.socket()
    plain_socket.auth(token_of(agent_headers(plain)))
    admin_socket.auth(token_of(runtime_headers(tenant, TokenKind.ADMIN, subject="admin-1")))
    stranger.auth(token_of(agent_headers(make_agent(other_tenant, role=StaffRole.OWNER))))

    # Subscriptions: another visitor's or tenant's conversation is simply not found.
    for sock, conversation_id in (
        (ann_socket, bob_conversation),
        (stranger, ann_conversation),
        (plain_socket, ann_conversation),
    ):
        sock.send({"type": "subscribe", "conversationId": conversation_id, "requestId": "r1"})
        refused = sock.recv_type("error")
        assert (refused["code"], refused["requestId"]) == ("NOT_FOUND", "r1")
    plain_socket.send({"type": "subscribe", "conversationId": bob_conversation})
    assert plain_socket.recv_type("subscribed")["conversationId"] == bob_conversation

    # Durable events: Ann hears her conversation only; the plain agent its queue; the admin no messages.
    visitor_says(api_client, ann, ann_conversation, "Ann here", assert_contract)
    visitor_says(api_client, bob, bob_conversation, "Bob here", assert_contract)
    assert ann_socket.recv_type("message.created")["data"]["body"] == "Ann here"
    assert bob_socket.recv_type("message.created")["data"]["body"] == "Bob here"
    assert plain_socket.recv_type("message.created")["data"]["body"] == "Bob here"

    # Typing goes to the other participants only, never to another visitor (or back to the sender).
    bob_socket.send({"type": "typing", "conversationId": bob_conversation, "isTyping": True})
    typing = plain_socket.recv_type("typing")
    assert typing["sender"] == {"kind": "visitor", "id": typing["sender"]["id"]}
    plain_socket.send({"type": "presence", "status": "online"})
    presence = admin_socket.recv_type("presence")
    assert (presence["agentId"], presence["status"]) == (plain.public_id, "available")
    assert plain_socket.recv_type("presence")["online"] is True

    for sock in (ann_socket, bob_socket, stranger):
        sock.nothing_for(1.5)
    admin_socket.nothing_for(0.5)


def test_call_signalling_reaches_only_the_participants_of_the_call(gateway, api_client, assert_contract):
    tenant = realtime_tenant()
    supervisor = make_agent(tenant, role=StaffRole.SUPERVISOR)
    ann, bob = visitor_headers(tenant, subject="vis_cann"), visitor_headers(tenant, subject="vis_cbob")
    conversation_id = start(api_client, ann, assert_contract)
    start(api_client, bob, assert_contract)
    response = api_client.post(
        "/api/calls/sessions", {"conversationId": conversation_id, "type": "audio"}, format="json", **ann
    )
    call_id = assert_contract(response, "createCallSession", status=201)["data"]["callSession"]["id"]

    ann_socket, bob_socket, agent_socket, bystander = (gateway.socket() for _ in range(4))
    ann_socket.auth(token_of(ann))
    bob_socket.auth(token_of(bob))
    agent_socket.auth(token_of(agent_headers(supervisor)))
    bystander.auth(token_of(agent_headers(make_agent(tenant, role=StaffRole.SUPERVISOR))))
    agent_socket.send({"type": "subscribe", "conversationId": conversation_id})
    agent_socket.recv_type("subscribed")

    ann_socket.send({"type": "call.offer", "callSessionId": call_id, "sdp": "v=0 offer"})
    offer = agent_socket.recv_type("call.offer")
    assert (offer["sdp"], offer["sender"]["kind"]) == ("v=0 offer", "visitor")
    agent_socket.send({"type": "call.answer", "callSessionId": call_id, "sdp": "v=0 answer"})
    assert ann_socket.recv_type("call.answer")["sdp"] == "v=0 answer"
    ann_socket.send({"type": "call.ice", "callSessionId": call_id, "candidate": {"candidate": "c1", "sdpMid": "0"}})
    assert agent_socket.recv_type("call.ice")["candidate"]["candidate"] == "c1"

    bob_socket.send({"type": "call.offer", "callSessionId": call_id, "sdp": "v=0 intruder"})
    assert bob_socket.recv_type("error")["code"] == "CALL_SESSION_NOT_FOUND"

    agent_socket.send({"type": "call.hangup", "callSessionId": call_id, "reason": "done"})
    frames = {frame["type"]: frame for frame in (ann_socket.recv(), ann_socket.recv())}
    assert frames["call.hangup"]["reason"] == "done"
    assert frames["call.ended"]["data"]["status"] == "ended"  # the hangup ended the call session
    for sock in (bob_socket, bystander):
        sock.nothing_for(1.0, ignore=("ping", "call.started", "call.ended", "conversation.created"))
        assert not any(frame["type"].startswith("call.") and "sender" in frame for frame in sock.received)


def test_a_slow_socket_is_closed_with_resync_required_and_others_keep_up(api_client, assert_contract):
    tenant = realtime_tenant()
    agent = make_agent(tenant, role=StaffRole.SUPERVISOR)
    conversation = Conversation.objects.get(public_id=start(api_client, visitor_headers(tenant), assert_contract))
    with gateway_process(REALTIME_SEND_QUEUE_LIMIT=5) as server:
        slow = server.socket(slow_reader=True)
        slow.auth(token_of(agent_headers(agent)))
        fast = server.socket()
        fast.auth(token_of(agent_headers(agent)))
        body = "\U0001f600" * 5000  # 20 KB of UTF-8 per frame
        for _ in range(300):  # ~6 MB: more than the kernel buffers between the server and a client that never reads
            message_send(conversation=conversation, sender_type=SenderType.AGENT, body=body, agent=agent)
            assert fast.recv_type("message.created")["data"]["body"] == body
        code, _ = slow.closed(timeout=30)
        assert code == Close.RESYNC_REQUIRED


def test_an_agents_sockets_drive_its_presence_and_human_fallback(gateway, api_client, assert_contract):
    tenant = realtime_tenant()
    agent = make_agent(tenant, role=StaffRole.AGENT)
    visitor = visitor_headers(tenant, subject="vis_presence")

    def available() -> bool:
        response = api_client.get("/api/chat/visitor/availability", **visitor)
        return assert_contract(response, "getVisitorChatAvailability", status=200)["data"]["available"]

    first, second = gateway.socket(), gateway.socket()
    first.auth(token_of(agent_headers(agent)))
    second.auth(token_of(agent_headers(agent)))
    first.send({"type": "presence", "status": "available"})
    assert first.recv_type("presence")["status"] == "available"
    assert available() is True
    first.close()
    second.nothing_for(1.0, ignore=("ping", "presence"))  # another socket of the agent is still open: available
    assert available() is True
    second.close()
    deadline = time.monotonic() + 10
    while available() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert available() is False  # the agent's last socket closed: offline
