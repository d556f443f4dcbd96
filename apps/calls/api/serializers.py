"""Input serializers of the call routes (the outputs are in ``apps.calls.api.outputs``)."""

from django.utils import timezone
from rest_framework import serializers

from apps.calls.models import CallDirection, CallService, CallStatus, CallType
from apps.calls.services import STARTED_AT_SKEW
from ringnity.api.fields import StorableJSONObjectField
from ringnity.api.serializers import InputSerializer
from ringnity.api.storable import storable_text

MAX_METADATA_BYTES = 4096
MAX_METADATA_DEPTH = 10
MAX_REASON_LENGTH = 255
SESSION_TOKEN_MAX_LENGTH = 200


def _session_token_field():
    # Read by CallSessionTokenAuthentication; declared so the body documents and bounds it.
    return serializers.CharField(max_length=SESSION_TOKEN_MAX_LENGTH, required=False, write_only=True)


class CreateCallSessionInput(InputSerializer):
    conversationId = serializers.CharField(max_length=64)
    type = serializers.ChoiceField(choices=CallType.choices)
    direction = serializers.ChoiceField(choices=CallDirection.choices, required=False, default=CallDirection.INBOUND)
    status = serializers.ChoiceField(choices=CallStatus.choices, required=False, default=CallStatus.STARTED)
    sessionToken = _session_token_field()
    startedAt = serializers.DateTimeField(required=False)
    metadata = StorableJSONObjectField(
        max_bytes=MAX_METADATA_BYTES, max_depth=MAX_METADATA_DEPTH, required=False, default=dict
    )

    def validate_startedAt(self, value):
        if value > timezone.now() + STARTED_AT_SKEW:
            raise serializers.ValidationError("must not be in the future.")
        return value


class EndCallSessionInput(InputSerializer):
    reason = serializers.CharField(max_length=MAX_REASON_LENGTH, required=False, allow_blank=True)
    sessionToken = _session_token_field()

    def validate_reason(self, value: str) -> str:
        if not storable_text(value):
            raise serializers.ValidationError("must not contain NUL or unpaired surrogate characters.")
        return value.strip()


class AnswerCallSessionInput(InputSerializer):
    sessionToken = _session_token_field()


class FailCallSessionInput(EndCallSessionInput):
    status = serializers.ChoiceField(choices=[CallStatus.MISSED, CallStatus.FAILED])


class CallLinkInput(InputSerializer):
    service = serializers.ChoiceField(choices=CallService.choices, required=False, default=CallService.VOICE)
    metadata = StorableJSONObjectField(
        max_bytes=MAX_METADATA_BYTES, max_depth=MAX_METADATA_DEPTH, required=False, default=dict
    )
