"""Every webhook event type of the catalog, emitted by the real domain services through the real outbox,
validated against the schema the docs publish for it: the generated schema's callback for that type.

The check is strict: an object the serializer closes (every serializer; a ``DictField`` stays open) may
carry no property the docs do not list, every required property must be there, and every time must be
in the one output format (UTC, ISO 8601, ``Z``).
"""

from __future__ import annotations

import json
import re
from functools import cache

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from apps.calls import services as call_services
from apps.calls.models import CallStatus
from apps.calls.tests.factories import staff_actor
from apps.chat import services as contact_services
from apps.chat.conversation_services import conversation_update
from apps.chat.models import Conversation
from apps.chat.tests.chat_fixtures import agent_headers, make_agent, visitor_headers
from apps.runtime.tests.fixtures import ready_tenant
from apps.webhooks import catalog
from apps.webhooks.delivery import render_body
from apps.webhooks.models import WebhookEvent
from apps.webhooks.tests.factories import endpoint_make, webhook_headers
from apps.webhooks.tests.receiver import Receiver
from ringnity.testing.contract import generated_document

pytestmark = pytest.mark.django_db

STRICT_URI = "urn:ringnity:generated-strict"
WEBHOOKS_PATH = "/api/server/webhooks"
UTC_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$")
FEATURES = {"chat": True, "voice_call": True, "video_call": True, "server_api": True, "webhooks": True}


def _closed(node):
    """A copy in which every object schema listing ``properties`` admits no other property."""
    if isinstance(node, dict):
        node = {key: _closed(value) for key, value in node.items()}
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        return node
    if isinstance(node, list):
        return [_closed(item) for item in node]
    return node


def _pointer(*parts: str) -> str:
    return "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


@cache
def published_validators() -> dict[str, Draft202012Validator]:
    """Event type -> a validator of the webhook body the generated schema documents for it."""
    spec = _closed(generated_document().spec)
    spec["$id"] = STRICT_URI
    registry = Registry().with_resource(STRICT_URI, DRAFT202012.create_resource(spec))
    formats = FormatChecker()
    formats.checks("date-time")(lambda value: not isinstance(value, str) or bool(UTC_TIME.match(value)))
    validators = {}
    for name, by_path in spec["paths"][WEBHOOKS_PATH]["post"]["callbacks"].items():
        ((path, item),) = by_path.items()
        location = ("paths", WEBHOOKS_PATH, "post", "callbacks", name, path, "post", "requestBody")
        location += ("content", "application/json", "schema")
        assert "post" in item, name
        validators[name] = Draft202012Validator(
            {"$ref": f"{STRICT_URI}#/{_pointer(*location)}"}, registry=registry, format_checker=formats
        )
    return validators


def _chat_events(api_client, assert_contract, tenant, agent: dict) -> Conversation:
    """conversation.created/updated/assigned, message.created/updated/read/deleted through the chat API."""
    visitor = visitor_headers(tenant)
    started = api_client.post("/api/chat/visitor/conversations", {"subject": "Order"}, format="json", **visitor)
    cid = assert_contract(started, "createVisitorConversation", status=201)["data"]["conversation"]["conversationId"]
    base = f"/api/chat/visitor/conversations/{cid}/messages"
    sent = api_client.post(base, {"body": "Hi", "metadata": {"page": "/pricing"}}, format="json", **visitor)
    mid = assert_contract(sent, "sendVisitorConversationMessage", status=201)["data"]["message"]["messageId"]
    edited = api_client.patch(f"{base}/{mid}", {"body": "Hello"}, format="json", **visitor)
    assert_contract(edited, "editVisitorConversationMessage", status=200)
    read = api_client.post(f"/api/chat/conversations/{cid}/messages/{mid}/read", **agent)
    assert_contract(read, "markChatMessageRead", status=200)
    assigned = api_client.post(f"/api/agent-sdk/conversations/{cid}/assign", {}, format="json", **agent)
    assert_contract(assigned, "assignAgentConversation", status=200)
    reply = api_client.post(
        f"/api/agent-sdk/conversations/{cid}/messages", {"body": "How can I help?"}, format="json", **agent
    )
    assert_contract(reply, "sendAgentConversationMessage", status=201)
    deleted = api_client.delete(f"{base}/{mid}", **visitor)
    assert_contract(deleted, "deleteVisitorConversationMessage", status=200)
    conversation = Conversation.objects.for_tenant(tenant).get(public_id=cid)
    return conversation_update(conversation=conversation, fields={"priority": "high"})


def _call_events(tenant, conversation: Conversation) -> None:
    """call.started/answered/ended/missed through the call services."""
    actor = staff_actor(tenant)
    call = call_services.call_session_create(
        tenant=tenant,
        actor=actor,
        conversation_id=conversation.public_id,
        call_type="video",
        metadata={"room": "support-1"},
    )
    call_services.call_session_answer(tenant=tenant, actor=actor, call_session_id=call.public_id)
    call_services.call_session_end(tenant=tenant, actor=actor, call_session_id=call.public_id, reason="done")
    call_services.call_session_create(
        tenant=tenant, actor=actor, conversation_id=conversation.public_id, call_type="audio", status=CallStatus.MISSED
    )


def _contact_events(tenant) -> None:
    """contact.created/updated/deleted through the contact services (one contact without an e-mail)."""
    contact, _ = contact_services.contact_upsert(
        tenant=tenant, fields={"name": "Ada", "phone": "+14155550100", "email": "ada@example.com", "tags": ["vip"]}
    )
    contact_services.contact_update(contact=contact, fields={"company": "Analytical Engines"})
    contact_services.contact_delete(contact=contact)
    contact_services.contact_upsert(tenant=tenant, fields={"name": "Bob", "phone": "+14155550101"})


def test_every_catalog_event_body_matches_the_published_callback_schema(api_client, assert_contract, settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    tenant = ready_tenant(features=FEATURES, quotas={"contacts": "unlimited", "webhooks": "unlimited"})
    with Receiver() as receiver:
        endpoint, _ = endpoint_make(tenant, url=receiver.url, events=["*"])
        _contact_events(tenant)
        agent = agent_headers(make_agent(tenant))
        conversation = _chat_events(api_client, assert_contract, tenant, agent)
        _call_events(tenant, conversation)
        closed = api_client.post(f"/api/agent-sdk/conversations/{conversation.public_id}/close", **agent)
        assert_contract(closed, "closeAgentConversation", status=200)
        sent = api_client.post(
            f"{WEBHOOKS_PATH}/test", {"webhookId": endpoint.public_id}, format="json", **webhook_headers(tenant)
        )
        assert assert_contract(sent, "testWebhook", status=200)["data"]["delivered"] == 1
        received = json.loads(receiver.requests[0].body)

    validators = published_validators()
    events = list(WebhookEvent.objects.for_tenant(tenant).order_by("id"))
    assert sorted(validators) == sorted(catalog.EVENT_TYPES), "every catalog event type has a published callback"
    assert sorted({event.event_type for event in events}) == sorted(catalog.EVENT_TYPES), "every type was emitted"
    problems = []
    for event in events:
        body = json.loads(render_body(event, tenant))
        assert set(body) == {"id", "type", "timestamp", "tenantId", "data"}
        for error in validators[event.event_type].iter_errors(body):
            where = "/".join(map(str, error.absolute_path)) or "<body>"
            problems.append(f"{event.event_type} at {where}: {error.message}")
    assert received["type"] == catalog.TEST_EVENT
    assert received["data"]["webhookId"] == endpoint.public_id
    assert problems == [], "webhook bodies the docs do not describe:\n" + "\n".join(sorted(set(problems)))
