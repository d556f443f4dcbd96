"""Input and output shapes of Login with Ringnity (the contract's OAuth* schemas)."""

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from apps.oauth import scopes as catalog
from apps.oauth import services
from apps.oauth.models import ClientStatus, OAuthClient
from ringnity.api.errors import OAUTH_ERRORS
from ringnity.api.outputs import OutputSerializer, UTCDateTimeField
from ringnity.api.serializers import InputSerializer

SCOPE_CHOICES = [info.scope for info in catalog.CATALOG]
CLIENT_TYPE_CHOICES = [OAuthClient.CLIENT_CONFIDENTIAL, OAuthClient.CLIENT_PUBLIC]


def _check_redirect_uris(uris: list[str]) -> list[str]:
    problems = [
        f"[{index}] '{uri[:100]}' {problem}."
        for index, uri in enumerate(uris)
        if (problem := services.redirect_uri_problem(uri))
    ]
    if problems:
        raise serializers.ValidationError(problems)
    return uris


def _check_scopes(scopes: list[str]) -> list[str]:
    planned = [
        f"[{i}] '{scope}' is planned, not available yet."
        for i, scope in enumerate(scopes)
        if scope in catalog.PLANNED_SCOPES
    ]
    if planned:
        raise serializers.ValidationError(planned)
    return scopes


class ClientFieldChecks:
    """Redirect URIs and scopes checked with the other fields, so one 400 lists every bad field."""

    def validate_redirectUris(self, value):
        return _check_redirect_uris(value)

    def validate_allowedScopes(self, value):
        return _check_scopes(value)


class OAuthClientCreateInput(ClientFieldChecks, InputSerializer):
    name = serializers.CharField(max_length=120)
    type = serializers.ChoiceField(choices=CLIENT_TYPE_CHOICES, default=OAuthClient.CLIENT_CONFIDENTIAL)
    redirectUris = serializers.ListField(child=serializers.CharField(), allow_empty=False, max_length=20)
    allowedScopes = serializers.ListField(
        child=serializers.ChoiceField(choices=SCOPE_CHOICES), required=False, max_length=len(SCOPE_CHOICES)
    )
    requirePkce = serializers.BooleanField(required=False)


class OAuthClientUpdateInput(ClientFieldChecks, InputSerializer):
    name = serializers.CharField(max_length=120, required=False)
    type = serializers.ChoiceField(choices=CLIENT_TYPE_CHOICES, required=False)
    status = serializers.ChoiceField(choices=ClientStatus.values, required=False)
    redirectUris = serializers.ListField(
        child=serializers.CharField(), allow_empty=False, max_length=20, required=False
    )
    allowedScopes = serializers.ListField(
        child=serializers.ChoiceField(choices=SCOPE_CHOICES), required=False, max_length=len(SCOPE_CHOICES)
    )
    requirePkce = serializers.BooleanField(required=False)


@extend_schema_serializer(component_name="OAuthClient")
class OAuthClientOutput(OutputSerializer):
    id = serializers.CharField(source="public_id")
    clientId = serializers.CharField(source="client_id")
    name = serializers.CharField()
    type = serializers.CharField(source="client_type")
    status = serializers.CharField()
    allowedScopes = serializers.ListField(source="allowed_scopes", child=serializers.CharField())
    redirectUris = serializers.ListField(source="redirect_uri_list", child=serializers.CharField())
    requirePkce = serializers.BooleanField(source="require_pkce")
    lastUsedAt = UTCDateTimeField(source="last_used_at", allow_null=True)
    revokedAt = UTCDateTimeField(source="revoked_at", allow_null=True)
    createdAt = UTCDateTimeField(source="created")
    updatedAt = UTCDateTimeField(source="updated")


class OAuthClientEnvelopeOutput(OutputSerializer):
    oauthClient = OAuthClientOutput()


class OAuthClientSecretOutput(OutputSerializer):
    oauthClient = OAuthClientOutput()
    clientSecret = serializers.CharField(required=False)
    warning = serializers.CharField()


class OAuthClientDeletedOutput(OutputSerializer):
    oauthClientId = serializers.CharField()
    deleted = serializers.BooleanField()


class ScopeCatalogItemOutput(serializers.Serializer):
    scope = serializers.CharField()
    category = serializers.CharField()
    status = serializers.CharField()
    sensitive = serializers.BooleanField()
    description = serializers.CharField()


class OAuthClientListOutput(serializers.Serializer):
    oauthClients = OAuthClientOutput(many=True, source="clients")
    availableScopes = serializers.ListField(child=serializers.CharField())
    recommendedScopes = serializers.ListField(child=serializers.CharField())
    scopeCatalog = ScopeCatalogItemOutput(many=True)
    clientTypes = serializers.ListField(child=serializers.CharField())
    discoveryUrl = serializers.CharField()


class OAuthTokenInput(InputSerializer):
    """Documents the form body; the toolkit (oauthlib) reads and checks it."""

    grant_type = serializers.ChoiceField(choices=["authorization_code", "refresh_token"])
    client_id = serializers.CharField()
    client_secret = serializers.CharField(required=False)
    code = serializers.CharField(required=False)
    redirect_uri = serializers.CharField(required=False)
    code_verifier = serializers.CharField(required=False)
    refresh_token = serializers.CharField(required=False)


class OAuthRevokeInput(InputSerializer):
    """Documents the form body; the toolkit (oauthlib) reads and checks it."""

    token = serializers.CharField()
    token_type_hint = serializers.ChoiceField(choices=["access_token", "refresh_token"], required=False)
    client_id = serializers.CharField()
    client_secret = serializers.CharField(required=False)


class OAuthTokenOutput(serializers.Serializer):
    access_token = serializers.CharField()
    id_token = serializers.CharField(required=False)
    refresh_token = serializers.CharField(required=False)
    token_type = serializers.CharField()
    expires_in = serializers.IntegerField()
    scope = serializers.CharField(required=False)


class OAuthAddAllowedDomainInput(InputSerializer):
    domain = serializers.CharField(max_length=300)


class OAuthWidgetKeyOutput(serializers.Serializer):
    tenantId = serializers.CharField()
    tenantSlug = serializers.CharField()
    publicWidgetKey = serializers.CharField()
    allowedDomains = serializers.ListField(child=serializers.CharField())
    allowedDomainsLimit = serializers.IntegerField(allow_null=True)
    allowedDomainsUsed = serializers.IntegerField()
    allowedDomainsRemaining = serializers.IntegerField(allow_null=True)
    dashboardDeveloperUrl = serializers.CharField()
    domain = serializers.CharField(required=False)
    domainAdded = serializers.BooleanField(required=False)
    domainAlreadyAllowed = serializers.BooleanField(required=False)


class OAuthErrorOutput(serializers.Serializer):
    """The contract's ``OAuthError``: every error of the OAuth protocol and tenant endpoints.

    ``error`` lists the contract's codes and the protocol codes it lacks (``ringnity.api.errors.OAUTH_ADDITIONS``).
    """

    error = serializers.ChoiceField(choices=OAUTH_ERRORS)
    error_description = serializers.CharField(required=False)


class OpenIdConfigurationOutput(serializers.Serializer):
    issuer = serializers.CharField()
    authorization_endpoint = serializers.CharField()
    token_endpoint = serializers.CharField()
    userinfo_endpoint = serializers.CharField()
    jwks_uri = serializers.CharField()
    revocation_endpoint = serializers.CharField()
    response_types_supported = serializers.ListField(child=serializers.CharField())
    response_modes_supported = serializers.ListField(child=serializers.CharField())
    grant_types_supported = serializers.ListField(child=serializers.CharField())
    subject_types_supported = serializers.ListField(child=serializers.CharField())
    id_token_signing_alg_values_supported = serializers.ListField(child=serializers.CharField())
    scopes_supported = serializers.ListField(child=serializers.CharField())
    token_endpoint_auth_methods_supported = serializers.ListField(child=serializers.CharField())
    revocation_endpoint_auth_methods_supported = serializers.ListField(child=serializers.CharField())
    code_challenge_methods_supported = serializers.ListField(child=serializers.CharField())
    claims_supported = serializers.ListField(child=serializers.CharField())
    authorization_response_iss_parameter_supported = serializers.BooleanField()
    prompt_values_supported = serializers.ListField(child=serializers.CharField())


class JwkOutput(serializers.Serializer):
    kty = serializers.CharField()
    kid = serializers.CharField()
    use = serializers.CharField()
    alg = serializers.CharField()
    n = serializers.CharField()
    e = serializers.CharField()


class JwksOutput(serializers.Serializer):
    keys = JwkOutput(many=True)


class OAuthUserInfoOutput(serializers.Serializer):
    sub = serializers.CharField()
    name = serializers.CharField(required=False)
    email = serializers.CharField(required=False)
    email_verified = serializers.BooleanField(required=False)
    tenant_id = serializers.CharField(required=False)
    tenant_slug = serializers.CharField(required=False)
    roles = serializers.ListField(child=serializers.CharField(), required=False)
