"""Input serializers and output shapes of the AI operations."""

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from apps.ai.knowledge.search import MAX_LIMIT
from apps.ai.models import KnowledgeKind, KnowledgeStatus, RoutingMode
from ringnity.api.fields import StorableJSONObjectField
from ringnity.api.outputs import BlankAsNullCharField, OutputSerializer, UTCDateTimeField
from ringnity.api.serializers import InputSerializer

MAX_MESSAGE_CHARS = 4000
MAX_QUERY_CHARS = 500
MAX_METADATA_BYTES = 4096


class KnowledgeUploadInput(InputSerializer):
    file = serializers.FileField(allow_empty_file=True)


class KnowledgeUrlInput(InputSerializer):
    url = serializers.CharField(max_length=2048)


class KnowledgeSearchInput(InputSerializer):
    query = serializers.CharField(max_length=MAX_QUERY_CHARS)
    limit = serializers.IntegerField(required=False, default=5, min_value=1, max_value=MAX_LIMIT)


class AiVisitorIdentityInput(InputSerializer):
    externalId = serializers.CharField(max_length=200, required=False, allow_blank=True)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)


class AiConversationInput(InputSerializer):
    visitor = AiVisitorIdentityInput(required=False)
    metadata = StorableJSONObjectField(max_bytes=MAX_METADATA_BYTES, required=False)


class AiChatInput(InputSerializer):
    aiConversationId = serializers.CharField(max_length=32, required=False, allow_blank=True)
    conversationId = serializers.CharField(max_length=32, required=False, allow_blank=True)
    message = serializers.CharField(max_length=MAX_MESSAGE_CHARS, trim_whitespace=True)
    stream = serializers.BooleanField(required=False, default=False)
    metadata = StorableJSONObjectField(max_bytes=MAX_METADATA_BYTES, required=False)


class AiHandoffInput(InputSerializer):
    """One of the two ids of the visitor's AI conversation."""

    aiConversationId = serializers.CharField(max_length=32, required=False, allow_blank=True)
    conversationId = serializers.CharField(max_length=32, required=False, allow_blank=True)

    def validate(self, attrs):
        if not (attrs.get("aiConversationId") or attrs.get("conversationId")):
            raise serializers.ValidationError({"conversationId": "conversationId or aiConversationId is required."})
        return attrs


@extend_schema_serializer(component_name="KnowledgeItem")
class KnowledgeItemOutput(OutputSerializer):
    id = serializers.CharField(source="public_id")
    knowledgeItemId = serializers.CharField(source="public_id")
    type = serializers.ChoiceField(source="kind", choices=KnowledgeKind.choices)
    title = serializers.CharField()
    source = serializers.CharField()
    contentType = serializers.CharField(source="content_type")
    sizeBytes = serializers.IntegerField(source="size_bytes")
    status = serializers.ChoiceField(choices=KnowledgeStatus.choices)
    statusReason = BlankAsNullCharField(source="status_reason")
    chunkCount = serializers.IntegerField(source="chunk_count")
    createdAt = UTCDateTimeField(source="created_at")
    indexedAt = UTCDateTimeField(source="indexed_at", allow_null=True)


class KnowledgeDeletedOutput(OutputSerializer):
    id = serializers.CharField()
    deleted = serializers.BooleanField()


class KnowledgeSearchOutput(serializers.Serializer):
    results = serializers.ListField(child=serializers.DictField())


class AiRoutingOutput(serializers.Serializer):
    mode = serializers.ChoiceField(choices=RoutingMode.values)
    canUseAi = serializers.BooleanField()
    humanFallbackAvailable = serializers.BooleanField()


class AiConversationOutput(serializers.Serializer):
    aiConversationId = serializers.CharField()
    conversationId = serializers.CharField()


class AiChatOutput(serializers.Serializer):
    aiConversationId = serializers.CharField()
    conversationId = serializers.CharField()
    message = serializers.CharField()
    handoffRecommended = serializers.BooleanField()
    metadata = serializers.DictField()


class AiVoiceSessionOutput(OutputSerializer):
    """An AI voice session (extension): times UTC; ``endedAt`` and the figures are null while it runs."""

    sessionId = serializers.CharField()
    conversationId = serializers.CharField()
    status = serializers.ChoiceField(choices=["active", "ended"])
    startedAt = UTCDateTimeField()
    maxCallSeconds = serializers.IntegerField()
    endsAt = UTCDateTimeField()
    endedAt = UTCDateTimeField(allow_null=True)
    endReason = serializers.ChoiceField(choices=["ended", "cap"], allow_null=True)
    durationSeconds = serializers.IntegerField(allow_null=True)
    billedSeconds = serializers.IntegerField(allow_null=True)


class AiDraftOutput(OutputSerializer):
    """One AI draft (extension): the text the AI suggests for the agents; never sent by itself."""

    draftId = serializers.CharField(source="public_id")
    conversationId = serializers.CharField(source="conversation.public_id")
    inReplyToMessageId = serializers.CharField(source="message.public_id")
    status = serializers.ChoiceField(choices=["pending", "ready", "skipped", "failed"])
    body = serializers.CharField(allow_blank=True)
    reason = serializers.CharField(required=False)
    provider = serializers.CharField(required=False)
    model = serializers.CharField(required=False)
    sources = serializers.ListField(child=serializers.DictField())
    createdAt = UTCDateTimeField(source="created_at")


class AiDraftListOutput(OutputSerializer):
    drafts = AiDraftOutput(many=True)
