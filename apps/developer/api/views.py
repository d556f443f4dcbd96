"""Developer Settings: allowed domains, SDK readiness check, Server API credentials.

Open to owner and workspace dashboard tokens (DashboardBearer) of the tenant's
owner or admins; supervisors and agents get 403. The tenant is always the
token's: another tenant's credential is simply not found (404).
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from apps.developer import selectors, services
from apps.developer.api import serializers as s
from apps.developer.api.audit import DeveloperAuditLogView
from apps.developer.api.base import DeveloperView
from ringnity.api.views import validate_body, validate_input

TAGS = ["Developer Settings"]


def _settings_body(tenant) -> dict:
    return s.DeveloperSettingsOutput(selectors.developer_settings(tenant=tenant)).data


def _credential(key) -> dict:
    return s.ServerCredentialOutput(key).data


class DeveloperSettingsView(DeveloperView):
    @extend_schema(
        operation_id="getDeveloperSettings",
        tags=TAGS,
        summary="Read Developer SDK settings of the logged-in tenant.",
        responses={200: s.DeveloperSettingsOutput},
    )
    def get(self, request):
        return Response(_settings_body(self.tenant))


class AllowedDomainsView(DeveloperView):
    @extend_schema(
        operation_id="updateDeveloperAllowedDomains",
        tags=TAGS,
        summary="Replace the allowed origins of the public SDK runtime (normalized, all-or-nothing).",
        request=s.AllowedDomainsInput,
        responses={200: s.DeveloperSettingsOutput},
    )
    def put(self, request):
        data = validate_input(s.AllowedDomainsInput, request.data)
        services.allowed_domains_replace(tenant=self.tenant, entries=data["allowedDomains"])
        return Response(_settings_body(self.tenant))


class DeveloperTestView(DeveloperView):
    @extend_schema(
        operation_id="testDeveloperSdkSettings",
        tags=TAGS,
        summary="Run SDK readiness checks for a supplied origin, slug and service.",
        request=s.DeveloperTestInput,
        responses={200: s.ReadinessOutput},
    )
    def post(self, request):
        data = validate_input(s.DeveloperTestInput, request.data)
        return Response(
            selectors.developer_readiness(
                tenant=self.tenant,
                origin=data.get("origin", ""),
                slug=data.get("slug", ""),
                service=data.get("service", ""),
            )
        )


class ServerCredentialsView(DeveloperView):
    @extend_schema(
        operation_id="listServerApiCredentials",
        tags=TAGS,
        summary="List Server API credentials of the logged-in tenant (secrets are never shown again).",
        responses={200: s.ServerCredentialListOutput},
    )
    def get(self, request):
        keys = selectors.server_api_key_list(tenant=self.tenant)
        return Response({"credentials": [_credential(key) for key in keys]})

    @extend_schema(
        operation_id="createServerApiCredential",
        tags=TAGS,
        summary="Create a Server API credential and return its secret once.",
        request=s.ServerCredentialCreateInput,
        responses={201: s.ServerCredentialSecretOutput},
    )
    def post(self, request):
        data = validate_input(s.ServerCredentialCreateInput, request.data)
        key, secret = services.server_api_key_create(
            tenant=self.tenant,
            name=data["name"],
            scopes=data["scopes"],
            environment=data.get("environment", "live"),
            created_by=self.principal.user,
        )
        return Response({"credential": _credential(key), "secret": secret}, status=201)


class ServerCredentialView(DeveloperView):
    @extend_schema(
        operation_id="updateServerApiCredential",
        tags=TAGS,
        summary="Update a Server API credential's name, scopes or active state.",
        request=s.ServerCredentialUpdateInput,
        responses={200: s.ServerCredentialEnvelopeOutput},
    )
    def patch(self, request, credentialId: str):
        data = validate_body(s.ServerCredentialUpdateInput, request)
        changes = {
            "is_active" if field == "isActive" else field: value
            for field, value in data.items()
            if field in ("name", "scopes", "environment", "isActive")
        }
        key = services.server_api_key_update(tenant=self.tenant, public_id=credentialId, changes=changes)
        return Response({"credential": _credential(key)})

    @extend_schema(
        operation_id="disableServerApiCredential",
        tags=TAGS,
        summary="Disable a Server API credential (the record stays, isActive false).",
        request=None,
        responses={200: s.ServerCredentialEnvelopeOutput},
    )
    def delete(self, request, credentialId: str):
        key = services.server_api_key_disable(tenant=self.tenant, public_id=credentialId)
        return Response({"credential": _credential(key)})


class ServerCredentialRotateView(DeveloperView):
    @extend_schema(
        operation_id="rotateServerApiCredential",
        tags=TAGS,
        summary="Rotate a Server API credential's secret and return the new secret once.",
        request=None,
        responses={200: s.ServerCredentialSecretOutput},
    )
    def post(self, request, credentialId: str):
        key, secret = services.server_api_key_rotate(tenant=self.tenant, public_id=credentialId)
        return Response({"credential": _credential(key), "secret": secret})


urlpatterns = [
    path("sdk/developer", DeveloperSettingsView.as_view(), name="developer-settings"),
    path("sdk/developer/allowed-domains", AllowedDomainsView.as_view(), name="developer-allowed-domains"),
    path("sdk/developer/test", DeveloperTestView.as_view(), name="developer-test"),
    path("sdk/developer/audit-log", DeveloperAuditLogView.as_view(), name="developer-audit-log"),
    path("sdk/developer/server-api-credentials", ServerCredentialsView.as_view(), name="developer-server-credentials"),
    path(
        "sdk/developer/server-api-credentials/<str:credentialId>",
        ServerCredentialView.as_view(),
        name="developer-server-credential",
    ),
    path(
        "sdk/developer/server-api-credentials/<str:credentialId>/rotate",
        ServerCredentialRotateView.as_view(),
        name="developer-server-credential-rotate",
    ),
]
