"""The chat entities' one shape each: API responses, webhook ``data`` (registered in ``apps.chat.events``)
and realtime events all render these classes, and the generated schema reads them.

Optional fields are omitted when empty (``ringnity.api.outputs.OutputSerializer``). Callers load the
related rows with ``apps.chat.selectors.CONVERSATION_RELATED`` / ``MESSAGE_RELATED``, so a page of
conversations or messages costs no query per row.
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from apps.chat.models import (
    EMAIL_MAX_LENGTH,
    TAG_MAX_LENGTH,
    AgentPresenceStatus,
    AttachmentStatus,
    ConversationPriority,
    ConversationStatus,
    ParticipantType,
    SenderType,
)
from apps.developer.api.serializers import TenantOutput
from ringnity.api.outputs import BlankAsNullCharField, OutputSerializer, UTCDateTimeField, result

VISITOR_DOWNLOAD_ROUTE = "chat-visitor-attachment-download"
MAX_TAGS = 50


def _optional(field_class, **kw):
    return field_class(required=False, **kw)


def _public_id(source: str, **kw) -> serializers.CharField:
    """The public id of a related row (``source="contact"`` → ``contact.public_id``); omitted without one."""
    return serializers.CharField(source=f"{source}.public_id", required=False, **kw)


# --- contacts ----------------------------------------------------------------------------------


class ContactFields(serializers.Serializer):
    """The contract's ``ContactInput``: the Contact field list, spelled once for input and output."""

    externalId = serializers.CharField(source="external_id", max_length=200, required=False, allow_blank=True)
    name = serializers.CharField(max_length=200)
    phone = serializers.CharField(max_length=40)
    email = serializers.EmailField(max_length=EMAIL_MAX_LENGTH, required=False, allow_blank=True)
    company = serializers.CharField(max_length=200, required=False, allow_blank=True)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=TAG_MAX_LENGTH), max_length=MAX_TAGS, required=False, allow_empty=True
    )
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True)


@extend_schema_serializer(component_name="Contact")
class ContactOutput(ContactFields, OutputSerializer):
    """The contract's ``Contact``: ``ContactInput`` + id, source and times.

    Every field is always present (``""`` / ``[]`` when unset) except ``email``, which is omitted when
    blank (``format: email`` has no empty value).
    """

    id = serializers.CharField(source="public_id")
    source = serializers.CharField()
    createdAt = UTCDateTimeField(source="created_at")
    updatedAt = UTCDateTimeField(source="updated_at")

    def get_fields(self):
        fields = super().get_fields()
        for name, field in fields.items():
            field.required = name != "email"
        return {"id": fields.pop("id"), **fields}


# --- conversations and messages -----------------------------------------------------------------


@extend_schema_serializer(component_name="Conversation")
class ConversationOutput(OutputSerializer):
    """The contract's ``Conversation``; ``ticketId`` is the conversation id (the widget's "ticket")."""

    conversationId = serializers.CharField(source="public_id")
    conversationNumber = serializers.CharField(source="number")
    ticketId = serializers.CharField(source="public_id")
    contactId = _public_id("contact")
    visitorId = serializers.CharField(source="visitor.public_id")
    departmentId = _public_id("department")
    assignedAgentId = _public_id("assigned_agent")
    channel = serializers.CharField()
    status = serializers.ChoiceField(choices=ConversationStatus.choices)
    priority = serializers.ChoiceField(choices=ConversationPriority.choices)
    subject = _optional(serializers.CharField)
    lastMessageAt = UTCDateTimeField(source="last_message_at")
    createdAt = UTCDateTimeField(source="created_at")
    updatedAt = UTCDateTimeField(source="updated_at")


class _DeletedByField(serializers.CharField):
    """Who deleted a message: the agent who removed it, else its visitor (visitors delete only their own)."""

    def __init__(self, **kw) -> None:
        super().__init__(source="*", required=False, **kw)

    def to_representation(self, message):
        if message.deleted_at is None:
            return None
        if message.deleted_by_agent_id:
            return message.deleted_by_agent.public_id
        return message.sender_visitor.public_id if message.sender_visitor_id else None


@extend_schema_serializer(component_name="Message")
class MessageOutput(OutputSerializer):
    """The contract's ``Message``. A deleted message keeps its ids and times; its body is empty, its
    metadata gone, and ``deletedBy`` names who deleted it (``message.deleted`` renders this too)."""

    messageId = serializers.CharField(source="public_id")
    conversationId = serializers.CharField(source="conversation.public_id")
    senderType = serializers.ChoiceField(source="sender_type", choices=SenderType.choices)
    senderAgentId = _public_id("sender_agent")
    senderContactId = _public_id("sender_visitor.contact")
    body = serializers.CharField()
    messageType = serializers.CharField(source="message_type")
    metadata = serializers.DictField()
    clientMessageId = _optional(serializers.CharField, source="client_message_id")
    sentAt = UTCDateTimeField(source="created_at")
    editedAt = _optional(UTCDateTimeField, source="edited_at")
    deletedAt = _optional(UTCDateTimeField, source="deleted_at")
    deletedBy = _DeletedByField(help_text="Only on a deleted message: the agent or visitor id that deleted it.")

    def to_representation(self, message):
        data = super().to_representation(message)
        if message.deleted_at is not None:
            data["body"], data["metadata"] = "", {}
        return data


class _DownloadUrlField(serializers.CharField):
    """The download route of an uploaded attachment (``context["download_route"]``, the visitor's by default)."""

    def __init__(self, **kw) -> None:
        super().__init__(source="*", required=False, **kw)

    def to_representation(self, attachment):
        if attachment.status != AttachmentStatus.UPLOADED:
            return None
        route = self.context.get("download_route", VISITOR_DOWNLOAD_ROUTE)
        ids = {"conversationId": attachment.conversation.public_id, "attachmentId": attachment.public_id}
        return reverse(route, kwargs=ids)


class _ContentTypeField(serializers.CharField):
    def __init__(self, **kw) -> None:
        super().__init__(source="*", required=False, **kw)

    def to_representation(self, attachment):
        return attachment.content_type or attachment.declared_content_type


@extend_schema_serializer(component_name="Attachment")
class AttachmentOutput(OutputSerializer):
    attachmentId = serializers.CharField(source="public_id")
    conversationId = serializers.CharField(source="conversation.public_id")
    messageId = _public_id("message")
    filename = _optional(serializers.CharField, source="original_filename")
    contentType = _ContentTypeField(help_text="Decided from the file's bytes once uploaded.")
    status = serializers.ChoiceField(choices=AttachmentStatus.choices)
    size = serializers.IntegerField()
    metadata = serializers.DictField()
    downloadUrl = _DownloadUrlField(help_text="Served as a download (Content-Disposition: attachment).")
    createdAt = UTCDateTimeField(source="created_at")
    deletedAt = _optional(UTCDateTimeField, source="deleted_at")


@extend_schema_serializer(component_name="Receipt")
class ReceiptOutput(OutputSerializer):
    """One participant's delivered/read state of one message (also the ``message.read`` event)."""

    messageId = serializers.CharField(source="message.public_id")
    conversationId = serializers.CharField(source="message.conversation.public_id")
    participantType = serializers.ChoiceField(source="participant_type", choices=ParticipantType.choices)
    participantId = serializers.CharField(source="participant_id")
    deliveredAt = UTCDateTimeField(source="delivered_at")
    readAt = _optional(UTCDateTimeField, source="read_at")
    delivered = serializers.SerializerMethodField()
    read = serializers.SerializerMethodField()

    def get_delivered(self, receipt) -> bool:
        return True  # a receipt row exists once the message reached the participant

    def get_read(self, receipt) -> bool:
        return receipt.read_at is not None


@extend_schema_serializer(component_name="Assignment")
class AssignmentOutput(OutputSerializer):
    assignmentId = serializers.CharField(source="public_id")
    conversationId = serializers.CharField(source="conversation.public_id")
    clientId = serializers.CharField(source="tenant.public_id")
    assignedAgentId = serializers.CharField(source="assigned_agent.public_id", allow_null=True)
    assignedDepartmentId = serializers.CharField(source="assigned_department.public_id", allow_null=True)
    assignedByAgentId = serializers.CharField(source="assigned_by.public_id", allow_null=True)
    reason = BlankAsNullCharField()
    createdAt = UTCDateTimeField(source="created_at")


# --- agents ----------------------------------------------------------------------------------


@extend_schema_serializer(component_name="Presence")
class PresenceOutput(OutputSerializer):
    """An agent's presence row (an unsaved one for an agent who never set it: offline)."""

    agentId = serializers.CharField(source="agent.public_id")
    status = serializers.ChoiceField(choices=AgentPresenceStatus.choices)
    online = serializers.SerializerMethodField()
    lastActivityAt = _optional(UTCDateTimeField, source="last_activity_at")

    def get_online(self, presence) -> bool:
        return presence.status == AgentPresenceStatus.AVAILABLE


@extend_schema_serializer(component_name="AgentProfile")
class AgentProfileOutput(OutputSerializer):
    """A staff user as the agent SDK sees itself; ``scopes`` are the token's (``context["scopes"]``)."""

    agentId = serializers.CharField(source="public_id")
    username = serializers.CharField()
    name = serializers.CharField(source="display_name")
    role = serializers.CharField()
    departmentId = _public_id("department")
    departmentName = _optional(serializers.CharField, source="department.name")
    scopes = serializers.SerializerMethodField()

    def get_scopes(self, agent) -> list[str]:
        return sorted(self.context.get("scopes", ()))


@extend_schema_serializer(component_name="Teammate")
class TeammateOutput(AgentProfileOutput):
    """A staff member as the other agents see it (extension ``listAgentTeammates``): the profile without
    scopes, with the chat presence (``offline`` for one who never set it)."""

    scopes = None
    presence = serializers.SerializerMethodField()

    def get_presence(self, agent) -> str:
        presence = getattr(agent, "chat_presence", None)
        return presence.status if presence is not None else AgentPresenceStatus.OFFLINE


@extend_schema_serializer(component_name="ConversationVisitor")
class ConversationVisitorOutput(OutputSerializer):
    """What the visitor of a conversation told about itself (extension ``getAgentConversationContact``)."""

    visitorId = serializers.CharField(source="public_id")
    name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()
    verified = serializers.BooleanField()


# --- response bodies (the ``data`` of each answer) ------------------------------------------------


VisitorSessionResult = result(
    "VisitorChatSession",
    visitorId=serializers.CharField(),
    sessionToken=serializers.CharField(help_text="Send back in X-Ringnity-Chat-Session (30 days, sliding)."),
    sessionHeader=serializers.CharField(),
    expiresAt=UTCDateTimeField(),
    clientId=serializers.CharField(),
    conversation=ConversationOutput(required=False, help_text="The visitor's open conversation, if any."),
)

ConversationStartedResult = result(
    "VisitorConversationStarted",
    conversation=ConversationOutput(),
    visitorId=_optional(serializers.CharField, help_text="Only for a start with the tenant header alone."),
    sessionToken=_optional(serializers.CharField, help_text="Only for a start with the tenant header alone."),
)

OpenTicketResult = result(
    "VisitorOpenTicket", ticket=ConversationOutput(source="*"), conversation=ConversationOutput(source="*")
)

AvailabilityResult = result(
    "VisitorChatAvailability",
    available=serializers.BooleanField(),
    status=serializers.CharField(),
    agentsOnline=serializers.BooleanField(),
    reason=_optional(serializers.CharField),
)

ConversationResult = result("ChatConversationResult", conversation=ConversationOutput())

ConversationWithMessagesResult = result(
    "VisitorConversationWithMessages", conversation=ConversationOutput(), messages=MessageOutput(many=True)
)

MessageResult = result("ChatMessageResult", message=MessageOutput())

MessageDeletedResult = result("ChatMessageDeleted", deleted=serializers.BooleanField(), message=MessageOutput())

AttachmentResult = result("ChatAttachmentResult", attachment=AttachmentOutput())

AttachmentUploadedResult = result("ChatAttachmentUploaded", attachment=AttachmentOutput(), message=MessageOutput())

AttachmentDeletedResult = result(
    "ChatAttachmentDeleted", message=MessageOutput(), attachment=AttachmentOutput(), deleted=serializers.BooleanField()
)

ReceiptResult = result("ChatReceiptResult", receipt=ReceiptOutput(source="*"))

AgentProfileResult = result("AgentProfileResult", agent=AgentProfileOutput(), tenant=TenantOutput())

ConversationListResult = result(
    "AgentConversationList", conversations=ConversationOutput(many=True), nextCursor=_optional(serializers.CharField)
)

MessageListResult = result(
    "AgentMessageList", messages=MessageOutput(many=True), nextCursor=_optional(serializers.CharField)
)

AssignmentResult = result("AgentAssignmentResult", assignment=AssignmentOutput(), conversation=ConversationOutput())

PaginationOutput = result(
    "ServerContactPagination",
    total=serializers.IntegerField(),
    page=serializers.IntegerField(),
    limit=serializers.IntegerField(),
    hasMore=serializers.BooleanField(),
)

ContactResult = result("ServerContactResult", contact=ContactOutput())

ContactUpsertResult = result("ServerContactUpsertResult", contact=ContactOutput(), created=serializers.BooleanField())

ContactListResult = result("ServerContactList", contacts=ContactOutput(many=True), pagination=PaginationOutput())

ContactDeletedResult = result("ServerContactDeleted", deleted=serializers.BooleanField(), id=serializers.CharField())

TeammateListResult = result("AgentTeammateList", agents=TeammateOutput(many=True))

ConversationContactResult = result(
    "AgentConversationContact",
    contact=ContactOutput(allow_null=True, help_text="null until the conversation has a contact."),
    visitor=ConversationVisitorOutput(),
)
