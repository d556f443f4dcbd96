"""Input serializers and response schemas of the AI operations."""

import json

from rest_framework import serializers

from apps.ai.knowledge.search import MAX_LIMIT
from apps.ai.models import RoutingMode
from ringnity.api.serializers import InputSerializer
from ringnity.api.storable import json_storage_problem, storable_text

MAX_MESSAGE_CHARS = 4000
MAX_QUERY_CHARS = 500
MAX_METADATA_BYTES = 4096


class MetadataField(serializers.DictField):
    """A small JSON object PostgreSQL can store (no NUL, finite numbers, shallow)."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        problem = json_storage_problem(value, max_depth=10)
        if problem:
            raise serializers.ValidationError(problem)
        if len(json.dumps(value, default=str)) > MAX_METADATA_BYTES:
            raise serializers.ValidationError(f"at most {MAX_METADATA_BYTES} bytes of JSON.")
        return value


class StorableCharField(serializers.CharField):
    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not storable_text(value):
            raise serializers.ValidationError("must not contain NUL or unpaired surrogate characters.")
        return value


class KnowledgeUploadInput(InputSerializer):
    file = serializers.FileField(allow_empty_file=True)


class KnowledgeUrlInput(InputSerializer):
    url = StorableCharField(max_length=2048)


class KnowledgeSearchInput(InputSerializer):
    query = StorableCharField(max_length=MAX_QUERY_CHARS)
    limit = serializers.IntegerField(required=False, default=5, min_value=1, max_value=MAX_LIMIT)


class AiVisitorIdentityInput(InputSerializer):
    externalId = serializers.CharField(max_length=200, required=False, allow_blank=True)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)


class AiConversationInput(InputSerializer):
    visitor = AiVisitorIdentityInput(required=False)
    metadata = MetadataField(required=False)


class AiChatInput(InputSerializer):
    aiConversationId = serializers.CharField(max_length=32, required=False, allow_blank=True)
    conversationId = serializers.CharField(max_length=32, required=False, allow_blank=True)
    message = StorableCharField(max_length=MAX_MESSAGE_CHARS, trim_whitespace=True)
    stream = serializers.BooleanField(required=False, default=False)
    metadata = MetadataField(required=False)


class KnowledgeItemOutput(serializers.Serializer):
    id = serializers.CharField()
    knowledgeItemId = serializers.CharField()
    type = serializers.ChoiceField(choices=["file", "url"])
    title = serializers.CharField()
    source = serializers.CharField()
    contentType = serializers.CharField()
    sizeBytes = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["queued", "ready", "failed"])
    statusReason = serializers.CharField(allow_null=True)
    chunkCount = serializers.IntegerField()
    createdAt = serializers.DateTimeField()
    indexedAt = serializers.DateTimeField(allow_null=True)


class KnowledgeDeletedOutput(serializers.Serializer):
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
