"""Server API tenant endpoints and runtime-token issuance (ServerApiKey; base view in ``apps.developer.api.base``)."""

from django.urls import path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from apps.developer.api.base import ServerAPIView
from apps.developer.api.serializers import TenantOutput
from apps.runtime import services as runtime_services
from apps.runtime.api.serializers import (
    AdminTokenInput,
    AgentTokenInput,
    RuntimeReadinessOutput,
    SdkTokenOutput,
    VisitorContextTokenInput,
)
from apps.runtime.selectors import tenant_readiness
from ringnity.api.views import validate_body


class ServerHealthView(ServerAPIView):
    required_scopes = {"GET": {"server:health"}}
    required_feature = None

    @extend_schema(
        operation_id="getServerApiHealth",
        tags=["Server API"],
        summary="Check Server API credential health.",
        responses={
            200: inline_serializer(
                "ServerApiHealth",
                {
                    "status": serializers.CharField(),
                    "clientId": serializers.CharField(),
                    "keyId": serializers.CharField(),
                    "environment": serializers.CharField(),
                    "scopes": serializers.ListField(child=serializers.CharField()),
                },
            )
        },
    )
    def get(self, request):
        key = self.principal.credential
        return Response(
            {
                "status": "ok",
                "clientId": self.tenant.public_id,
                "keyId": key.public_id,
                "environment": key.environment,
                "scopes": sorted(self.principal.scopes),
            }
        )


class ServerTenantView(ServerAPIView):
    required_scopes = {"GET": {"server:tenant:read"}}

    @extend_schema(
        operation_id="getServerTenant",
        tags=["Server API"],
        summary="Read tenant identity for the current Server API key.",
        responses={200: inline_serializer("ServerTenant", {"tenant": TenantOutput()})},
    )
    def get(self, request):
        return Response({"tenant": TenantOutput(self.tenant).data})


class ServerSdkReadinessView(ServerAPIView):
    required_scopes = {"GET": {"server:tenant:read"}}

    @extend_schema(
        operation_id="getSdkReadiness",
        tags=["Server API"],
        summary="Read service readiness for SDK launch checks.",
        responses={200: RuntimeReadinessOutput},
    )
    def get(self, request):
        return Response(tenant_readiness(tenant=self.tenant))


class VisitorContextTokenView(ServerAPIView):
    required_scopes = {"POST": {"server:visitor-context:write"}}

    @extend_schema(
        operation_id="createVisitorContextToken",
        tags=["Server API"],
        summary="Create a signed visitor context token for public runtime SDKs.",
        description="`expiresIn` is 60..86400 seconds (default 900). Pass the token as `contextToken` "
        "to `POST /sdk/session`; its visitor identity wins over any identity in that body.",
        request=VisitorContextTokenInput,
        responses={201: SdkTokenOutput},
    )
    def post(self, request):
        data = validate_body(VisitorContextTokenInput, request)
        issued = runtime_services.visitor_context_token_issue(
            tenant=self.tenant, visitor=data.get("visitor"), metadata=data["metadata"], expires_in=data["expiresIn"]
        )
        return Response(issued.as_sdk_token(), status=201)


class AgentTokenView(ServerAPIView):
    required_scopes = {"POST": {"server:agent-token:write"}}

    @extend_schema(
        operation_id="createAgentToken",
        tags=["Server API"],
        summary="Create a short-lived token for CRM/agent SDK runtime.",
        description="The agent (by `agentId`, else `username`) must be an active staff member of the key's "
        "tenant, else 404. Granted scopes = requested ∩ agent scopes (all agent scopes when none requested). "
        "The token ends early when this key is disabled or rotated.",
        request=AgentTokenInput,
        responses={201: SdkTokenOutput},
    )
    def post(self, request):
        data = validate_body(AgentTokenInput, request)
        issued = runtime_services.agent_token_issue(
            tenant=self.tenant,
            key=self.principal.credential,
            agent_id=data.get("agentId", ""),
            username=data.get("username", ""),
            scopes=data.get("scopes"),
            expires_in=data["expiresIn"],
        )
        return Response(issued.as_sdk_token(), status=201)


class AdminTokenView(ServerAPIView):
    required_scopes = {"POST": {"server:admin-token:write"}}

    @extend_schema(
        operation_id="createAdminToken",
        tags=["Server API"],
        summary="Create a short-lived token for admin/reporting SDK runtime.",
        description="Granted scopes = requested ∩ admin scopes (all admin scopes when none requested). "
        "The token ends early when this key is disabled or rotated.",
        request=AdminTokenInput,
        responses={201: SdkTokenOutput},
    )
    def post(self, request):
        data = validate_body(AdminTokenInput, request)
        issued = runtime_services.admin_token_issue(
            tenant=self.tenant,
            key=self.principal.credential,
            actor_id=data.get("adminActorId") or data.get("username", ""),
            name=data.get("name", ""),
            role=data.get("role", ""),
            scopes=data.get("scopes"),
            expires_in=data["expiresIn"],
        )
        return Response(issued.as_sdk_token(), status=201)


urlpatterns = [
    path("server/health", ServerHealthView.as_view(), name="server-health"),
    path("server/tenant", ServerTenantView.as_view(), name="server-tenant"),
    path("server/tenant/sdk-readiness", ServerSdkReadinessView.as_view(), name="server-sdk-readiness"),
    path("server/visitor-context-token", VisitorContextTokenView.as_view(), name="server-visitor-context-token"),
    path("server/sdk-token/agent", AgentTokenView.as_view(), name="server-agent-token"),
    path("server/sdk-token/admin", AdminTokenView.as_view(), name="server-admin-token"),
]
