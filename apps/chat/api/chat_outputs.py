"""Response shapes of the chat and agent CRM routes, for the generated schema (documentation only:
views return the dicts of ``apps.chat.payloads``; tests check both against the contract)."""

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from apps.webhooks.catalog import ConversationPayload, MessagePayload


def _optional(field_class, **kw):
    return field_class(required=False, **kw)


class AttachmentOutput(serializers.Serializer):
    attachmentId = serializers.CharField()
    conversationId = serializers.CharField()
    messageId = _optional(serializers.CharField)
    filename = _optional(serializers.CharField)
    contentType = _optional(serializers.CharField, help_text="Decided from the file's bytes once uploaded.")
    status = serializers.ChoiceField(choices=["pending", "uploaded", "deleted"])
    size = serializers.IntegerField()
    metadata = serializers.DictField()
    downloadUrl = _optional(serializers.CharField, help_text="Served as a download (Content-Disposition: attachment).")
    createdAt = serializers.DateTimeField()
    deletedAt = _optional(serializers.DateTimeField)


class ReceiptOutput(serializers.Serializer):
    messageId = serializers.CharField()
    conversationId = serializers.CharField()
    participantType = serializers.ChoiceField(choices=["visitor", "agent"])
    participantId = serializers.CharField()
    deliveredAt = serializers.DateTimeField()
    readAt = _optional(serializers.DateTimeField)
    delivered = serializers.BooleanField()
    read = serializers.BooleanField()


class PresenceOutput(serializers.Serializer):
    agentId = serializers.CharField()
    status = serializers.ChoiceField(choices=["available", "busy", "offline"])
    online = serializers.BooleanField()
    lastActivityAt = _optional(serializers.DateTimeField)


class AssignmentOutput(serializers.Serializer):
    assignmentId = serializers.CharField()
    conversationId = serializers.CharField()
    clientId = serializers.CharField()
    assignedAgentId = serializers.CharField(allow_null=True)
    assignedDepartmentId = serializers.CharField(allow_null=True)
    assignedByAgentId = serializers.CharField(allow_null=True)
    reason = serializers.CharField(allow_null=True)
    createdAt = serializers.DateTimeField()


class ChatTenantOutput(serializers.Serializer):
    clientId = serializers.CharField()
    slug = serializers.CharField()
    name = serializers.CharField()
    companyName = serializers.CharField()
    email = _optional(serializers.EmailField)
    phone = serializers.CharField()
    timezone = serializers.CharField()
    isActive = serializers.BooleanField()


class AgentProfileOutput(serializers.Serializer):
    agentId = serializers.CharField()
    username = serializers.CharField()
    name = serializers.CharField()
    role = serializers.CharField()
    departmentId = _optional(serializers.CharField)
    departmentName = _optional(serializers.CharField)
    scopes = serializers.ListField(child=serializers.CharField())


VISITOR_SESSION = inline_serializer(
    "VisitorChatSession",
    {
        "visitorId": serializers.CharField(),
        "sessionToken": serializers.CharField(help_text="Send back in X-Ringnity-Chat-Session (30 days, sliding)."),
        "sessionHeader": serializers.CharField(),
        "expiresAt": serializers.DateTimeField(),
        "clientId": serializers.CharField(),
        "conversation": ConversationPayload(required=False, help_text="The visitor's open conversation, if any."),
    },
)
CONVERSATION_STARTED = inline_serializer(
    "VisitorConversationStarted",
    {
        "conversation": ConversationPayload(),
        "visitorId": _optional(serializers.CharField, help_text="Only for a start with the tenant header alone."),
        "sessionToken": _optional(serializers.CharField, help_text="Only for a start with the tenant header alone."),
    },
)
OPEN_TICKET = inline_serializer(
    "VisitorOpenTicket", {"ticket": ConversationPayload(), "conversation": ConversationPayload()}
)
AVAILABILITY = inline_serializer(
    "VisitorChatAvailability",
    {
        "available": serializers.BooleanField(),
        "status": serializers.CharField(),
        "agentsOnline": serializers.BooleanField(),
        "reason": _optional(serializers.CharField),
    },
)
CONVERSATION = inline_serializer("ChatConversationResult", {"conversation": ConversationPayload()})
CONVERSATION_WITH_MESSAGES = inline_serializer(
    "VisitorConversationWithMessages", {"conversation": ConversationPayload(), "messages": MessagePayload(many=True)}
)
MESSAGE = inline_serializer("ChatMessageResult", {"message": MessagePayload()})
MESSAGE_DELETED = inline_serializer(
    "ChatMessageDeleted", {"deleted": serializers.BooleanField(), "message": MessagePayload()}
)
ATTACHMENT = inline_serializer("ChatAttachmentResult", {"attachment": AttachmentOutput()})
ATTACHMENT_UPLOADED = inline_serializer(
    "ChatAttachmentUploaded", {"attachment": AttachmentOutput(), "message": MessagePayload()}
)
ATTACHMENT_DELETED = inline_serializer(
    "ChatAttachmentDeleted",
    {"message": MessagePayload(), "attachment": AttachmentOutput(), "deleted": serializers.BooleanField()},
)
RECEIPT = inline_serializer("ChatReceiptResult", {"receipt": ReceiptOutput()})
AGENT_PROFILE = inline_serializer("AgentProfileResult", {"agent": AgentProfileOutput(), "tenant": ChatTenantOutput()})
CONVERSATION_LIST = inline_serializer(
    "AgentConversationList",
    {"conversations": ConversationPayload(many=True), "nextCursor": _optional(serializers.CharField)},
)
MESSAGE_LIST = inline_serializer(
    "AgentMessageList", {"messages": MessagePayload(many=True), "nextCursor": _optional(serializers.CharField)}
)
ASSIGNMENT = inline_serializer(
    "AgentAssignmentResult", {"assignment": AssignmentOutput(), "conversation": ConversationPayload()}
)
