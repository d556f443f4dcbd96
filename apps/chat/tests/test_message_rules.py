"""Message rules integrators build on: idempotency keys per sender, closed means read-only (issue 22)."""

import pytest

from apps.chat.models import Message
from apps.chat.tests.chat_fixtures import (
    agent_headers,
    chat_tenant,
    make_agent,
    send_message,
    start_conversation,
    visitor_headers,
)

pytestmark = pytest.mark.django_db


def _visitor_messages(cid):
    return f"/api/chat/visitor/conversations/{cid}/messages"


def _agent_messages(cid):
    return f"/api/agent-sdk/conversations/{cid}/messages"


@pytest.mark.parametrize("visitor_first", [True, False])
def test_a_client_message_id_is_scoped_to_its_sender(api_client, assert_contract, visitor_first):
    tenant = chat_tenant()
    visitor = visitor_headers(tenant)
    agent, colleague = make_agent(tenant), make_agent(tenant)
    cid = start_conversation(api_client, visitor)["conversationId"]

    def visitor_send(body):
        response = api_client.post(
            _visitor_messages(cid), {"body": body, "clientMessageId": "m-1"}, format="json", **visitor
        )
        return assert_contract(response, "sendVisitorConversationMessage", status=201)["data"]["message"]

    def agent_send(who, body):
        response = api_client.post(
            _agent_messages(cid), {"body": body, "clientMessageId": "m-1"}, format="json", **agent_headers(who)
        )
        return assert_contract(response, "sendAgentConversationMessage", status=201)["data"]["message"]

    if visitor_first:
        from_visitor, from_agent = visitor_send("Where is my order?"), agent_send(agent, "On its way.")
    else:
        from_agent, from_visitor = agent_send(agent, "On its way."), visitor_send("Where is my order?")
    assert (from_visitor["senderType"], from_visitor["body"]) == ("visitor", "Where is my order?")
    assert (from_agent["senderType"], from_agent["body"]) == ("agent", "On its way.")
    from_colleague = agent_send(colleague, "I can help too.")
    assert from_colleague["body"] == "I can help too."
    # Each sender's retry still returns its own first message.
    assert visitor_send("again")["messageId"] == from_visitor["messageId"]
    assert agent_send(agent, "again")["messageId"] == from_agent["messageId"]
    assert Message.objects.for_tenant(tenant).filter(client_message_id="m-1").count() == 3


def test_a_closed_conversation_is_read_only_for_its_visitor(api_client, assert_contract):
    tenant = chat_tenant()
    visitor = visitor_headers(tenant)
    cid = start_conversation(api_client, visitor)["conversationId"]
    message = send_message(api_client, visitor, cid, "Typo hree")
    api_client.post(f"/api/agent-sdk/conversations/{cid}/close", **agent_headers(make_agent(tenant)))
    url = f"{_visitor_messages(cid)}/{message['messageId']}"

    edit = api_client.patch(url, {"body": "rewritten history"}, format="json", **visitor)
    assert assert_contract(edit, "editVisitorConversationMessage", status=409)["code"] == "CONFLICT"
    delete = api_client.delete(url, **visitor)
    assert assert_contract(delete, "deleteVisitorConversationMessage", status=409)["code"] == "CONFLICT"
    stored = Message.objects.for_tenant(tenant).get(public_id=message["messageId"])
    assert (stored.body, stored.edited_at, stored.deleted_at) == ("Typo hree", None, None)
