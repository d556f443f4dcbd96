"""Input validation for the chat and agent CRM routes (strict JSON types: ``InputSerializer``).

Metadata objects go through ``ringnity.api.storable`` (the project's one check of what PostgreSQL
can store): NUL, a lone surrogate or ``1e400`` anywhere in them is a 400 naming the field, not a
``DataError`` at save time. Strings need no extra check: DRF's ``CharField`` already refuses NUL
and surrogate characters.
"""

from __future__ import annotations

from rest_framework import serializers

from apps.chat.message_services import BODY_MAX_LENGTH, CLIENT_MESSAGE_ID_MAX_LENGTH, METADATA_MAX_BYTES
from apps.chat.models import EMAIL_MAX_LENGTH, ConversationStatus
from ringnity.api.fields import StorableJSONObjectField
from ringnity.api.pagination import MAX_LIMIT
from ringnity.api.serializers import InputSerializer, QuerySerializer

METADATA_MAX_DEPTH = 10


def _metadata_field():
    return StorableJSONObjectField(max_bytes=METADATA_MAX_BYTES, max_depth=METADATA_MAX_DEPTH, required=False)


class VisitorIdentityInput(InputSerializer):
    externalId = serializers.CharField(max_length=200, required=False, allow_blank=True)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    email = serializers.EmailField(max_length=EMAIL_MAX_LENGTH, required=False)  # the contract's format: email
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)


class VisitorSessionInput(InputSerializer):
    visitor = VisitorIdentityInput(required=False)
    metadata = _metadata_field()


class VisitorConversationInput(InputSerializer):
    subject = serializers.CharField(max_length=500, required=False, allow_blank=True)
    visitor = VisitorIdentityInput(required=False)
    metadata = _metadata_field()


class _BodyField(serializers.CharField):
    def __init__(self, **kwargs):
        super().__init__(max_length=BODY_MAX_LENGTH, allow_blank=False, trim_whitespace=False, **kwargs)

    def run_validation(self, data=serializers.empty):
        value = super().run_validation(data)
        if value is not None and not value.strip():
            raise serializers.ValidationError("Must not be empty.")
        return value


class SendMessageInput(InputSerializer):
    body = _BodyField()
    messageType = serializers.ChoiceField(choices=["text"], required=False, default="text")
    metadata = _metadata_field()
    clientMessageId = serializers.CharField(max_length=CLIENT_MESSAGE_ID_MAX_LENGTH, required=False, allow_blank=True)


class VisitorMessageInput(SendMessageInput):
    visitor = VisitorIdentityInput(required=False)


class MessagePatchInput(InputSerializer):
    body = _BodyField(required=False)
    metadata = _metadata_field()

    def validate(self, attrs):
        if "body" not in attrs and "metadata" not in attrs:
            raise serializers.ValidationError({"body": "Send body or metadata to change."})
        return attrs


class AttachmentInput(InputSerializer):
    filename = serializers.CharField(max_length=255)
    contentType = serializers.CharField(max_length=100)
    size = serializers.IntegerField(min_value=1)
    metadata = _metadata_field()


class UploadForm(serializers.Serializer):
    """The multipart upload (not JSON): the file and optionally a pending attachment's id."""

    file = serializers.FileField(allow_empty_file=True)
    attachmentId = serializers.CharField(max_length=32, required=False, allow_blank=True)


class UpdatePresenceInput(InputSerializer):
    status = serializers.ChoiceField(choices=["available", "busy", "offline", "online", "unavailable"])


class AssignConversationInput(InputSerializer):
    assignedAgentId = serializers.CharField(max_length=32, required=False, allow_null=True, allow_blank=True)
    assignedDepartmentId = serializers.CharField(max_length=32, required=False, allow_null=True, allow_blank=True)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)
    isTransfer = serializers.BooleanField(required=False, default=False)


class DeleteMediaInput(InputSerializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)


class ConversationListQuery(QuerySerializer):
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, required=False, default=50)
    cursor = serializers.CharField(max_length=500, required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=ConversationStatus.values, required=False)
    departmentId = serializers.CharField(max_length=32, required=False, allow_blank=True)


class MessageListQuery(QuerySerializer):
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, required=False, default=50)
    before = serializers.CharField(max_length=32, required=False, allow_blank=True)
