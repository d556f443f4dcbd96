"""Input and output shapes of the Developer Settings operations."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from apps.developer.models import ServerApiEnvironment, ServiceKey
from apps.developer.services import SERVER_API_SCOPES
from ringnity.api.outputs import OutputSerializer, UTCDateTimeField
from ringnity.api.schema import documented_json_field
from ringnity.api.serializers import InputSerializer

# --- Input ------------------------------------------------------------------

# What the docs show for the lenient fields below (the contract's types; the service checks values).
STRING = {"type": "string"}
ENVIRONMENT = {"type": "string", "enum": ServerApiEnvironment.values}
SCOPES = {"type": "array", "items": {"type": "string", "enum": list(SERVER_API_SCOPES)}}


class AllowedDomainsInput(InputSerializer):
    # Entries of any JSON type (null too) reach the service, which reports every bad one in one answer.
    allowedDomains = serializers.ListField(child=documented_json_field(STRING, allow_null=True), allow_empty=True)


class DeveloperTestInput(InputSerializer):
    origin = serializers.CharField(required=False, allow_blank=True, max_length=500)
    slug = serializers.CharField(required=False, allow_blank=True, max_length=100)
    service = serializers.ChoiceField(
        required=False,
        choices=ServiceKey.values,
        # DRF's default message echoes the input, which may hold a lone surrogate that cannot be rendered.
        error_messages={"invalid_choice": f"Not a known service; use one of {', '.join(ServiceKey.values)}."},
    )


class ServerCredentialCreateInput(InputSerializer):
    """Shape only (null too); the service checks every value so every bad field is reported together."""

    name = documented_json_field(STRING, allow_null=True)
    environment = documented_json_field(ENVIRONMENT, required=False, default="live", allow_null=True)
    scopes = documented_json_field(SCOPES, allow_null=True)


class ServerCredentialUpdateInput(InputSerializer):
    name = documented_json_field(STRING, required=False, allow_null=True)
    environment = documented_json_field(ENVIRONMENT, required=False, allow_null=True)
    scopes = documented_json_field(SCOPES, required=False, allow_null=True)
    isActive = documented_json_field({"type": "boolean"}, required=False, allow_null=True)


# --- Output: developer settings ---------------------------------------------


@extend_schema_serializer(component_name="Tenant")
class TenantOutput(OutputSerializer):
    """The contract's ``Tenant``; a blank ``email`` is omitted (``format: email`` has no empty value)."""

    clientId = serializers.CharField(source="public_id")
    slug = serializers.CharField()
    name = serializers.CharField()
    companyName = serializers.CharField(source="company_name")
    email = serializers.EmailField(required=False)
    phone = serializers.CharField()
    timezone = serializers.CharField()
    isActive = serializers.BooleanField(source="is_active")


class ServiceCapabilityOutput(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    status = serializers.CharField()
    allowed = serializers.BooleanField()
    reason = serializers.CharField()
    requiredFeatures = serializers.ListField(child=serializers.CharField())
    adminEnabled = serializers.BooleanField()
    sortOrder = serializers.IntegerField()


class DeveloperSettingsOutput(serializers.Serializer):
    tenant = TenantOutput()
    allowedDomains = serializers.ListField(child=serializers.CharField(), source="allowed_domains")
    publicKey = serializers.CharField(source="public_key")
    services = ServiceCapabilityOutput(many=True)


class ReadinessOutput(serializers.Serializer):
    ready = serializers.BooleanField()
    services = ServiceCapabilityOutput(many=True)
    ai = serializers.DictField()
    reports = serializers.DictField()
    tenant = serializers.DictField()
    origin = serializers.DictField(required=False)


@extend_schema_serializer(component_name="ServerApiCredential")
class ServerCredentialOutput(OutputSerializer):
    """The contract's ``ServerApiCredential``; ``lastUsedAt`` is absent until the key is used."""

    id = serializers.CharField(source="public_id")
    name = serializers.CharField()
    environment = serializers.CharField()
    scopes = serializers.ListField(child=serializers.CharField())
    isActive = serializers.BooleanField(source="is_active")
    secretPreview = serializers.CharField(source="secret_preview")
    lastUsedAt = UTCDateTimeField(source="last_used_at", required=False)
    createdAt = UTCDateTimeField(source="created_at")
    updatedAt = UTCDateTimeField(source="updated_at")


class ServerCredentialEnvelopeOutput(serializers.Serializer):
    credential = ServerCredentialOutput()


class ServerCredentialSecretOutput(serializers.Serializer):
    credential = ServerCredentialOutput()
    secret = serializers.CharField(help_text="Returned once. Store only on your backend servers.")


class ServerCredentialListOutput(serializers.Serializer):
    credentials = ServerCredentialOutput(many=True)
