"""The event catalog: every event type an endpoint can subscribe to, and its documented payload.

A webhook body is always ``{"id", "type", "timestamp", "tenantId", "data"}``; ``data`` is the
payload of the event type below. The payload serializers are documentation only (the generated
schema publishes them as callbacks of ``createWebhook`` and ``listWebhooks``); the emitting app
builds the payload and passes it to ``apps.webhooks.events.event_emit``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from drf_spectacular.utils import OpenApiCallback, extend_schema, inline_serializer
from rest_framework import serializers

WILDCARD = "*"
TEST_EVENT = "webhook.test"


class ContactPayload(serializers.Serializer):
    id = serializers.CharField()
    externalId = serializers.CharField()
    name = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.CharField(required=False, help_text="Omitted when the contact has none.")
    company = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    notes = serializers.CharField()
    source = serializers.CharField()
    createdAt = serializers.DateTimeField()
    updatedAt = serializers.DateTimeField()


class ConversationPayload(serializers.Serializer):
    conversationId = serializers.CharField()
    conversationNumber = serializers.CharField(required=False)
    contactId = serializers.CharField(required=False)
    visitorId = serializers.CharField(required=False)
    departmentId = serializers.CharField(required=False)
    assignedAgentId = serializers.CharField(required=False)
    channel = serializers.CharField(required=False)
    status = serializers.CharField()
    priority = serializers.CharField(required=False)
    subject = serializers.CharField(required=False)
    lastMessageAt = serializers.DateTimeField(required=False)
    createdAt = serializers.DateTimeField()
    updatedAt = serializers.DateTimeField()


class MessagePayload(serializers.Serializer):
    messageId = serializers.CharField()
    conversationId = serializers.CharField()
    senderType = serializers.CharField()
    senderAgentId = serializers.CharField(required=False)
    senderContactId = serializers.CharField(required=False)
    body = serializers.CharField()
    messageType = serializers.CharField()
    metadata = serializers.DictField(required=False)
    clientMessageId = serializers.CharField(required=False)
    sentAt = serializers.DateTimeField()
    editedAt = serializers.DateTimeField(required=False)
    deletedAt = serializers.DateTimeField(required=False)


class MessageReadPayload(serializers.Serializer):
    conversationId = serializers.CharField()
    messageId = serializers.CharField(help_text="The newest message the reader has read (all older ones are read).")
    readerType = serializers.CharField(help_text="visitor | agent")
    readerId = serializers.CharField()
    readAt = serializers.DateTimeField()


class MessageDeletedPayload(serializers.Serializer):
    messageId = serializers.CharField()
    conversationId = serializers.CharField()
    deletedAt = serializers.DateTimeField()
    deletedBy = serializers.CharField(required=False)


class CallPayload(serializers.Serializer):
    id = serializers.CharField()
    conversationId = serializers.CharField()
    type = serializers.ChoiceField(choices=["audio", "video"])
    direction = serializers.ChoiceField(choices=["inbound", "outbound"])
    status = serializers.ChoiceField(choices=["started", "answered", "ended", "missed", "failed"])
    startedAt = serializers.DateTimeField(required=False)
    answeredAt = serializers.DateTimeField(required=False)
    endedAt = serializers.DateTimeField(required=False)
    durationSeconds = serializers.IntegerField(required=False, allow_null=True)
    endReason = serializers.CharField(required=False)


class TestPayload(serializers.Serializer):
    test = serializers.BooleanField()
    webhookId = serializers.CharField()
    message = serializers.CharField()


@dataclass(frozen=True)
class EventType:
    name: str
    description: str
    payload: type[serializers.Serializer]


_EVENTS = [
    EventType("contact.created", "A contact was created (Server API upsert or the agent CRM).", ContactPayload),
    EventType("contact.updated", "A contact's fields changed.", ContactPayload),
    EventType("contact.deleted", "A contact was deleted; `data` is its last state.", ContactPayload),
    EventType("conversation.created", "A conversation started.", ConversationPayload),
    EventType(
        "conversation.updated", "A conversation's status, priority, subject or department changed.", ConversationPayload
    ),
    EventType("conversation.assigned", "A conversation was assigned or reassigned to an agent.", ConversationPayload),
    EventType("conversation.closed", "A conversation was closed.", ConversationPayload),
    EventType("message.created", "A message was sent in a conversation.", MessagePayload),
    EventType("message.updated", "A message was edited.", MessagePayload),
    EventType("message.read", "A participant read a conversation up to a message.", MessageReadPayload),
    EventType("message.deleted", "A message was deleted.", MessageDeletedPayload),
    EventType("call.started", "A call session started ringing.", CallPayload),
    EventType("call.answered", "A call session was answered.", CallPayload),
    EventType("call.ended", "A call session ended.", CallPayload),
    EventType("call.missed", "A call session was not answered.", CallPayload),
    EventType(TEST_EVENT, "Sent by `POST /server/webhooks/test` only.", TestPayload),
]

EVENT_TYPES: dict[str, EventType] = {event.name: event for event in _EVENTS}
AVAILABLE_EVENTS: list[str] = [event.name for event in _EVENTS]


def is_known(event_type: str) -> bool:
    return event_type in EVENT_TYPES


def subscribes(events: list[str], event_type: str) -> bool:
    return WILDCARD in events or event_type in events


def _body_serializer(event: EventType):
    suffix = "".join(part.capitalize() for part in event.name.replace(".", "_").split("_"))
    return inline_serializer(
        f"WebhookEvent{suffix}",
        {
            "id": serializers.CharField(help_text="The event id (evt_...)."),
            "type": serializers.ChoiceField(choices=[event.name]),
            "timestamp": serializers.DateTimeField(help_text="When the event happened."),
            "tenantId": serializers.CharField(),
            "data": event.payload(),
        },
    )


@cache
def event_callbacks() -> list[OpenApiCallback]:
    """One OpenAPI callback per event type: the POST a subscribed endpoint receives (built once: one component each)."""
    headers = (
        "Headers (Standard Webhooks): `webhook-id` (the delivery id, the same on every retry), "
        "`webhook-timestamp` (unix seconds of this attempt), `webhook-signature` (`v1,<base64 HMAC-SHA256 of "
        '"{webhook-id}.{webhook-timestamp}.{body}" keyed with the base64-decoded part of the `whsec_` secret>`; '
        "two space-separated signatures for 24 h after a secret change), `User-Agent: Ringnity-Webhooks/<version>`, "
        "`X-Ringnity-Event`. Answer 2xx within 10 s; 3xx is a failure; 410 disables the endpoint."
    )
    return [
        OpenApiCallback(
            event.name,
            "{$request.body#/url}",
            extend_schema(
                summary=event.description,
                description=headers,
                request=_body_serializer(event),
                responses={200: None},
            ),
        )
        for event in _EVENTS
    ]
