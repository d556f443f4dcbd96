"""Input PostgreSQL cannot store (NUL, a lone surrogate, 1e400) is a 400 naming the field, never a 500.

The bodies are raw JSON text: ``\\u0000`` and ``\\ud800`` are valid JSON escapes, and ``1e400``
parses to infinity, which ``jsonb`` refuses.
"""

import pytest

from apps.chat.models import Attachment, Contact, Conversation, Message, Visitor
from apps.chat.tests.chat_fixtures import (
    agent_headers,
    chat_tenant,
    make_agent,
    send_message,
    start_conversation,
    visitor_headers,
)
from apps.runtime.tests.fixtures import server_headers

pytestmark = pytest.mark.django_db

BAD_METADATA = [r'{"k": "a\u0000b"}', r'{"k": "\ud800"}', '{"k": 1e400}', r'{"a\u0000": 1}', r'{"n": [{"x": 1e400}]}']
BAD_TEXT = [r'"a\u0000b"', r'"\ud800x"']
SESSIONS = "/api/chat/visitor/sessions"
CONVERSATIONS = "/api/chat/visitor/conversations"


def _post(client, url, raw: str, headers, method="post"):
    return getattr(client, method)(url, raw.encode(), content_type="application/json", **headers)


def _details(response, assert_contract, operation_id, code="VALIDATION_FAILED") -> str:
    body = assert_contract(response, operation_id, status=400)
    assert body["code"] == code
    return " ".join(body["details"])


@pytest.fixture
def chat(api_client):
    tenant = chat_tenant()
    headers = visitor_headers(tenant)
    conversation_id = start_conversation(api_client, headers)["conversationId"]
    return tenant, headers, conversation_id


@pytest.mark.parametrize("metadata", BAD_METADATA)
def test_unstorable_session_metadata_is_400_and_nothing_kept(api_client, assert_contract, metadata):
    tenant = chat_tenant()
    response = _post(api_client, SESSIONS, f'{{"metadata": {metadata}}}', visitor_headers(tenant))
    assert "metadata" in _details(response, assert_contract, "createVisitorChatSession")
    assert not Visitor.objects.exclude(metadata={}).exists()


@pytest.mark.parametrize("metadata", BAD_METADATA)
def test_unstorable_anonymous_session_metadata_is_400(api_client, assert_contract, metadata):
    chat_tenant(slug="shop")
    response = _post(api_client, SESSIONS, f'{{"metadata": {metadata}}}', {"HTTP_X_RINGNITY_TENANT": "shop"})
    assert "metadata" in _details(response, assert_contract, "createVisitorChatSession")
    assert not Visitor.objects.exists()


@pytest.mark.parametrize("metadata", BAD_METADATA)
def test_unstorable_conversation_metadata_is_400_and_nothing_written(api_client, assert_contract, metadata):
    tenant = chat_tenant()
    response = _post(api_client, CONVERSATIONS, f'{{"metadata": {metadata}}}', visitor_headers(tenant))
    assert "metadata" in _details(response, assert_contract, "createVisitorConversation")
    assert not Conversation.objects.exists()


@pytest.mark.parametrize("metadata", BAD_METADATA)
def test_unstorable_message_metadata_is_400_on_send_and_edit(api_client, assert_contract, chat, metadata):
    _, headers, cid = chat
    url = f"{CONVERSATIONS}/{cid}/messages"
    sent = _post(api_client, url, f'{{"body": "hi", "metadata": {metadata}}}', headers)
    assert "metadata" in _details(sent, assert_contract, "sendVisitorConversationMessage")
    assert not Message.objects.exists()
    message = send_message(api_client, headers, cid, metadata={"ok": 1})
    edited = _post(api_client, f"{url}/{message['messageId']}", f'{{"metadata": {metadata}}}', headers, "patch")
    assert "metadata" in _details(edited, assert_contract, "editVisitorConversationMessage")
    assert Message.objects.get().metadata == {"ok": 1}


@pytest.mark.parametrize("metadata", BAD_METADATA)
def test_unstorable_attachment_metadata_is_400(api_client, assert_contract, chat, metadata):
    _, headers, cid = chat
    body = f'{{"filename": "a.png", "contentType": "image/png", "size": 70, "metadata": {metadata}}}'
    response = _post(api_client, f"{CONVERSATIONS}/{cid}/attachments", body, headers)
    assert "metadata" in _details(response, assert_contract, "createVisitorConversationAttachment")
    assert not Attachment.objects.exists()


@pytest.mark.parametrize("metadata", BAD_METADATA)
def test_unstorable_agent_message_metadata_is_400(api_client, assert_contract, chat, metadata):
    tenant, _, cid = chat
    headers = agent_headers(make_agent(tenant))
    body = f'{{"body": "hi", "metadata": {metadata}}}'
    response = _post(api_client, f"/api/agent-sdk/conversations/{cid}/messages", body, headers)
    assert "metadata" in _details(response, assert_contract, "sendAgentConversationMessage")
    assert not Message.objects.exists()


@pytest.mark.parametrize("text", BAD_TEXT)
@pytest.mark.parametrize("field", ["externalId", "name", "email", "phone"])
def test_unstorable_visitor_identity_is_400_naming_the_field(api_client, assert_contract, text, field):
    tenant = chat_tenant()
    body = f'{{"visitor": {{"{field}": {text}}}}}'
    for url, operation_id in ((SESSIONS, "createVisitorChatSession"), (CONVERSATIONS, "createVisitorConversation")):
        response = _post(api_client, url, body, visitor_headers(tenant))
        assert field in _details(response, assert_contract, operation_id)
    assert list(Visitor.objects.values_list("external_id", "name", "email", "phone")) == [("", "", "", "")]
    assert not Contact.objects.exists()


@pytest.mark.parametrize("text", BAD_TEXT)
def test_unstorable_text_fields_are_400_naming_each_field(api_client, assert_contract, chat, text):
    tenant, headers, cid = chat
    started = _post(api_client, CONVERSATIONS, f'{{"subject": {text}}}', visitor_headers(tenant, "vis_other"))
    assert "subject" in _details(started, assert_contract, "createVisitorConversation")
    url = f"{CONVERSATIONS}/{cid}/messages"
    body = f'{{"body": {text}, "clientMessageId": {text}, "visitor": {{"name": {text}}}}}'
    details = _details(_post(api_client, url, body, headers), assert_contract, "sendVisitorConversationMessage")
    for field in ("body", "clientMessageId", "visitor.name"):
        assert field in details
    declared = _post(
        api_client,
        f"{CONVERSATIONS}/{cid}/attachments",
        f'{{"filename": {text}, "contentType": {text}, "size": 1}}',
        headers,
    )
    details = _details(declared, assert_contract, "createVisitorConversationAttachment")
    assert "filename" in details
    assert "contentType" in details
    agent = agent_headers(make_agent(tenant))
    assigned = _post(api_client, f"/api/agent-sdk/conversations/{cid}/assign", f'{{"reason": {text}}}', agent)
    assert "reason" in _details(assigned, assert_contract, "assignAgentConversation")
    assert not Message.objects.exists()
    assert not Attachment.objects.exists()
    assert Conversation.objects.count() == 1


@pytest.mark.parametrize("text", BAD_TEXT)
def test_unstorable_contact_fields_are_400_naming_each_field(api_client, assert_contract, text):
    body = f'{{"name": {text}, "phone": "+14155550100", "company": {text}, "notes": {text}, "tags": [{text}]}}'
    response = _post(api_client, "/api/server/contacts", body, server_headers(chat_tenant()))
    details = _details(response, assert_contract, "upsertContact", code="SERVER_CONTACT_VALIDATION_FAILED")
    for field in ("name", "company", "notes", "tags[0]"):
        assert field in details
    assert not Contact.objects.exists()
