"""Input validation and the output shapes of the Server API webhooks."""

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from apps.webhooks import catalog, outbound, signing
from apps.webhooks.models import URL_MAX_LENGTH, DeliveryStatus
from ringnity.api.outputs import OutputSerializer, UTCDateTimeField
from ringnity.api.pagination import DEFAULT_LIMIT, MAX_LIMIT
from ringnity.api.serializers import InputSerializer, QuerySerializer

NAME_MAX_LENGTH = 200
#: At most this many names in ``events`` (the catalog has fewer; each must be known, or ``*``).
EVENTS_MAX = 64
#: What an attempt row can say (an attempt is written when it ends).
ATTEMPT_STATUSES = [DeliveryStatus.DELIVERED.value, DeliveryStatus.RETRYING.value, DeliveryStatus.FAILED.value]


class WebhookInputSerializer(InputSerializer):
    """The contract's ``WebhookInput``; every problem is reported at once (400 SERVER_WEBHOOK_VALIDATION_FAILED)."""

    name = serializers.CharField(max_length=NAME_MAX_LENGTH, required=False, allow_blank=True, default="")
    url = serializers.CharField(max_length=URL_MAX_LENGTH, trim_whitespace=False)
    events = serializers.ListField(child=serializers.CharField(max_length=64), allow_empty=False, max_length=EVENTS_MAX)
    secret = serializers.CharField(required=False, trim_whitespace=False, max_length=200)

    def validate_url(self, value: str) -> str:
        problems = outbound.create_time_problems(value)
        if problems:
            raise serializers.ValidationError([p.removeprefix("url: ") for p in problems])
        return value

    def validate_events(self, value: list[str]) -> list[str]:
        unknown = [name for name in value if name != catalog.WILDCARD and not catalog.is_known(name)]
        if unknown:
            raise serializers.ValidationError(
                [f"unknown event {name!r}; see availableEvents in GET /server/webhooks." for name in unknown]
            )
        return list(dict.fromkeys(value))

    def validate_secret(self, value: str) -> str:
        problems = signing.secret_problems(value)
        if problems:
            raise serializers.ValidationError([p.removeprefix("secret: ") for p in problems])
        return value


class WebhookPatchSerializer(WebhookInputSerializer):
    """The contract's ``WebhookPatchRequest``, validated merged over the endpoint's current values."""

    isActive = serializers.BooleanField(source="is_active", required=False)


@extend_schema_serializer(component_name="Webhook")
class WebhookOutput(OutputSerializer):
    """The contract's ``Webhook`` (an endpoint); never the secret."""

    id = serializers.CharField(source="public_id")
    name = serializers.CharField()
    url = serializers.CharField()
    secretPreview = serializers.CharField(
        source="secret_preview", help_text="`whsec_…` and the secret's last 4 characters."
    )
    events = serializers.ListField(child=serializers.CharField())
    isActive = serializers.BooleanField(source="is_active")
    createdAt = UTCDateTimeField(source="created_at")
    updatedAt = UTCDateTimeField(source="updated_at")


class WebhookResultSerializer(OutputSerializer):
    webhook = WebhookOutput()
    secret = serializers.CharField(
        required=False, help_text="Only on create and on an explicit secret change; store it, it is not shown again."
    )


class WebhookListSerializer(OutputSerializer):
    webhooks = WebhookOutput(many=True)
    availableEvents = serializers.ListField(child=serializers.CharField())


class _DeliveredAtField(UTCDateTimeField):
    def __init__(self, **kw) -> None:
        super().__init__(source="*", required=False, **kw)

    def to_representation(self, attempt):
        delivered = attempt.status == DeliveryStatus.DELIVERED and attempt.finished_at
        return super().to_representation(attempt.finished_at) if delivered else None


@extend_schema_serializer(component_name="WebhookDelivery")
class WebhookDeliveryOutput(OutputSerializer):
    """The contract's ``WebhookDelivery``: one attempt of one delivery. ``deliveryId`` is the ``webhook-id``
    header, the same on every retry (needs ``endpoint`` and ``delivery`` selected)."""

    id = serializers.CharField(source="public_id")
    webhookId = serializers.CharField(source="endpoint.public_id")
    event = serializers.CharField(source="event_type")
    deliveryId = serializers.CharField(source="delivery.public_id")
    status = serializers.ChoiceField(choices=ATTEMPT_STATUSES)
    url = serializers.CharField()
    responseStatus = serializers.IntegerField(source="response_status", required=False)
    responseBody = serializers.CharField(source="response_body", help_text="The first 2 KB of the response body.")
    errorMessage = serializers.CharField(source="error_message")
    durationMs = serializers.IntegerField(source="duration_ms", required=False)
    attempt = serializers.IntegerField(source="number")
    createdAt = UTCDateTimeField(source="started_at")
    deliveredAt = _DeliveredAtField()


class WebhookDeliveryListSerializer(OutputSerializer):
    deliveries = WebhookDeliveryOutput(many=True)


class WebhookDeliveryQuery(QuerySerializer):
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, required=False, default=DEFAULT_LIMIT)
    webhookId = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    status = serializers.ChoiceField(choices=ATTEMPT_STATUSES, required=False, allow_blank=True, default="")
    event = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")

    def validate_event(self, value: str) -> str:
        if value and not catalog.is_known(value):
            raise serializers.ValidationError(f"unknown event {value!r}.")
        return value


class WebhookTestInput(InputSerializer):
    webhookId = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    event = serializers.CharField(max_length=64, required=False, default=catalog.TEST_EVENT)

    def validate_event(self, value: str) -> str:
        if not catalog.is_known(value):
            raise serializers.ValidationError(f"unknown event {value!r}; see availableEvents.")
        return value


class WebhookTestResultSerializer(serializers.Serializer):
    webhookId = serializers.CharField()
    deliveryId = serializers.CharField()
    event = serializers.CharField()
    status = serializers.CharField()
    delivered = serializers.BooleanField()
    responseStatus = serializers.IntegerField(allow_null=True)
    errorMessage = serializers.CharField()
    durationMs = serializers.IntegerField(allow_null=True)
    attempt = serializers.IntegerField()


class WebhookTestOutput(serializers.Serializer):
    results = WebhookTestResultSerializer(many=True)
    sent = serializers.IntegerField()
    delivered = serializers.IntegerField()
    queued = serializers.IntegerField(help_text="Endpoints beyond those sent now, left to the webhooks worker.")
