"""Input serializers and output shapes of the SDK runtime, Server API and Admin SDK endpoints."""

from collections.abc import Mapping

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from apps.runtime.tokens import DEFAULT_TTL_SECONDS, EXCHANGE_MAX_TTL_SECONDS, MAX_TTL_SECONDS, MIN_TTL_SECONDS
from ringnity.api.fields import StorableJSONObjectField
from ringnity.api.outputs import BlankAsNullCharField, OutputSerializer, UTCDateTimeField, result
from ringnity.api.serializers import InputSerializer

MAX_METADATA_BYTES = 4096
MAX_METADATA_DEPTH = 10

PLATFORMS = ["android", "ios", "flutter", "react_native", "kotlin", "swift", "web"]
PROVIDERS = ["fcm", "apns", "apns_voip"]
AUDIENCES = ["visitor", "customer", "agent", "admin"]
CALL_MODES = ["basic", "native-phone"]


class VisitorIdentitySerializer(serializers.Serializer):
    externalId = serializers.CharField(max_length=200, required=False, allow_blank=True)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    email = serializers.EmailField(max_length=254, required=False)  # the contract's format: email ("" is none)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)


def _choice(choices: list[str], **kwargs) -> serializers.ChoiceField:
    """A ChoiceField whose error names the choices instead of echoing the input.

    DRF's default message quotes the input, and a lone surrogate (valid JSON, not UTF-8) in it
    made the error response itself fail to render: a 500 instead of the 400.
    """
    message = f"must be one of: {', '.join(choices)}."
    return serializers.ChoiceField(choices=choices, error_messages={"invalid_choice": message}, **kwargs)


def _expires_in() -> serializers.IntegerField:
    return serializers.IntegerField(
        required=False, default=DEFAULT_TTL_SECONDS, min_value=MIN_TTL_SECONDS, max_value=MAX_TTL_SECONDS
    )


class RuntimeSessionInput(InputSerializer):
    slug = serializers.CharField(max_length=50, required=False, allow_blank=True)
    apiKey = serializers.CharField(max_length=64, required=False, allow_blank=True)
    visitor = VisitorIdentitySerializer(required=False)
    contextToken = serializers.CharField(max_length=8192, required=False, allow_blank=True)
    metadata = serializers.DictField(required=False)


class RuntimeSessionOutput(serializers.Serializer):
    sessionToken = serializers.CharField()
    expiresIn = serializers.IntegerField()
    expiresAt = UTCDateTimeField()


class RegisterDeviceInput(InputSerializer):
    platform = _choice(PLATFORMS)
    provider = _choice(PROVIDERS, required=False, default="fcm")
    token = serializers.CharField(max_length=4096)
    deviceId = serializers.CharField(source="device_id", max_length=200, required=False, allow_blank=True)
    appId = serializers.CharField(source="app_id", max_length=200, required=False, allow_blank=True)
    audience = _choice(AUDIENCES, required=False, default="visitor")
    externalId = serializers.CharField(source="external_id", max_length=200, required=False, allow_blank=True)
    agentId = serializers.CharField(source="agent_id", max_length=64, required=False, allow_blank=True)
    callMode = _choice(CALL_MODES, source="call_mode", required=False, default="basic")
    metadata = StorableJSONObjectField(
        max_bytes=MAX_METADATA_BYTES, max_depth=MAX_METADATA_DEPTH, required=False, default=dict
    )


class UnregisterDeviceInput(InputSerializer):
    deviceId = serializers.CharField(max_length=200, required=False, allow_blank=True)
    provider = _choice(PROVIDERS, required=False, default="fcm")
    token = serializers.CharField(max_length=4096, required=False, allow_blank=True)


@extend_schema_serializer(component_name="DevicePushToken")
class DeviceOutput(OutputSerializer):
    """The contract's ``DevicePushToken`` (the raw push token is never echoed)."""

    id = serializers.CharField(source="public_id")
    clientId = serializers.CharField(source="tenant.public_id")
    platform = serializers.ChoiceField(choices=PLATFORMS)
    provider = serializers.ChoiceField(choices=PROVIDERS)
    audience = serializers.ChoiceField(choices=AUDIENCES)
    deviceId = BlankAsNullCharField(source="device_id")
    appId = BlankAsNullCharField(source="app_id")
    externalId = BlankAsNullCharField(source="external_id")
    agentId = BlankAsNullCharField(source="agent_id")
    callMode = serializers.ChoiceField(source="call_mode", choices=CALL_MODES)
    enabled = serializers.BooleanField()
    lastSeenAt = UTCDateTimeField(source="last_seen_at")
    createdAt = UTCDateTimeField(source="created_at")
    updatedAt = UTCDateTimeField(source="updated_at")


DeviceResult = result("DevicePushTokenResult", device=DeviceOutput(source="*"))


class VisitorContextTokenInput(InputSerializer):
    visitor = VisitorIdentitySerializer(required=False)
    metadata = StorableJSONObjectField(
        max_bytes=MAX_METADATA_BYTES, max_depth=MAX_METADATA_DEPTH, required=False, default=dict
    )
    expiresIn = _expires_in()


class AgentTokenInput(InputSerializer):
    agentId = serializers.CharField(max_length=32, required=False, allow_blank=True)
    username = serializers.CharField(max_length=150, required=False, allow_blank=True)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    departmentId = serializers.CharField(max_length=32, required=False, allow_blank=True)
    scopes = serializers.ListField(child=serializers.CharField(max_length=64), max_length=50, required=False)
    expiresIn = _expires_in()

    def to_internal_value(self, data):
        """The missing agent is reported together with any bad field (``validate`` would only run after)."""
        if not isinstance(data, Mapping):
            return super().to_internal_value(data)  # raises "Invalid data. Expected a dictionary"
        attrs, errors = {}, {}
        try:
            attrs = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            errors = dict(exc.detail)
        named = attrs if not errors else data
        if not errors.keys() & {"agentId", "username"} and not (named.get("agentId") or named.get("username")):
            errors["agentId"] = ["agentId or username is required."]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class AdminTokenInput(InputSerializer):
    adminActorId = serializers.CharField(max_length=200, required=False, allow_blank=True)
    username = serializers.CharField(max_length=150, required=False, allow_blank=True)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    role = serializers.CharField(max_length=40, required=False, allow_blank=True)
    scopes = serializers.ListField(child=serializers.CharField(max_length=64), max_length=50, required=False)
    expiresIn = _expires_in()


class WorkspaceAgentTokenInput(InputSerializer):
    """``createWorkspaceAgentToken``: the body is optional (all agent scopes, 900 seconds)."""

    scopes = serializers.ListField(child=serializers.CharField(max_length=64), max_length=50, required=False)
    expiresIn = serializers.IntegerField(
        required=False, default=DEFAULT_TTL_SECONDS, min_value=MIN_TTL_SECONDS, max_value=EXCHANGE_MAX_TTL_SECONDS
    )


class SdkTokenOutput(serializers.Serializer):
    token = serializers.CharField()
    tokenType = serializers.CharField()
    expiresIn = serializers.IntegerField()
    expiresAt = UTCDateTimeField()
    scopes = serializers.ListField(child=serializers.CharField())


class RuntimeServiceCapabilityOutput(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    status = serializers.CharField()
    allowed = serializers.BooleanField()
    reason = serializers.CharField(required=False)
    requiredFeatures = serializers.ListField(child=serializers.CharField())
    adminEnabled = serializers.BooleanField()
    sortOrder = serializers.IntegerField()


class RuntimeReadinessOutput(serializers.Serializer):
    services = RuntimeServiceCapabilityOutput(many=True)
    ai = serializers.DictField()
    reports = serializers.DictField()
    sdk = serializers.DictField()
