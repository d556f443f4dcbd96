"""The call entities' one shape each: API responses and the ``call.*`` webhook ``data`` (registered in
``apps.calls.events``) render these classes, and the generated schema reads them."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from apps.calls.link_services import call_link_url
from apps.calls.models import CallDirection, CallService, CallStatus, CallType
from ringnity.api.outputs import OutputSerializer, UTCDateTimeField, result


@extend_schema_serializer(component_name="CallSession")
class CallSessionOutput(OutputSerializer):
    """The contract's ``CallSession``; unset ``answeredAt``/``endedAt`` are omitted."""

    id = serializers.CharField(source="public_id")
    conversationId = serializers.CharField(source="conversation.public_id")
    type = serializers.ChoiceField(choices=CallType.choices)
    direction = serializers.ChoiceField(choices=CallDirection.choices)
    status = serializers.ChoiceField(choices=CallStatus.choices)
    startedAt = UTCDateTimeField(source="started_at")
    answeredAt = UTCDateTimeField(source="answered_at", required=False)
    endedAt = UTCDateTimeField(source="ended_at", required=False)
    durationSeconds = serializers.IntegerField(source="duration_seconds", allow_null=True)
    endReason = serializers.CharField(source="end_reason", allow_null=True)
    metadata = serializers.DictField()


class _LinkTokenField(serializers.CharField):
    """The link's signed token, given at creation only (``context["token"]``; it is not stored)."""

    def __init__(self, *, url: bool = False, **kw) -> None:
        self.url = url
        super().__init__(source="*", **kw)

    def to_representation(self, link):
        token = self.context["token"]
        return call_link_url(token) if self.url else token


@extend_schema_serializer(component_name="CallLink")
class CallLinkOutput(OutputSerializer):
    id = serializers.CharField(source="public_id")
    conversationId = serializers.CharField(source="conversation.public_id")
    service = serializers.ChoiceField(choices=CallService.choices)
    token = _LinkTokenField(help_text="Signed, expiring; names this link and its conversation only.")
    url = _LinkTokenField(url=True)
    expiresAt = UTCDateTimeField(source="expires_at")
    createdAt = UTCDateTimeField(source="created_at")
    metadata = serializers.DictField()


CallSessionResult = result("CallSessionResult", callSession=CallSessionOutput(source="*"))
CallLinkResult = result("CallLinkResult", callLink=CallLinkOutput(source="*"))
