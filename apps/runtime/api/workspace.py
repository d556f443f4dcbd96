"""``POST /auth/workspace-agent-token``: a workspace dashboard session exchanged for an agent runtime token.

A documented extension (``x-ringnity-extension``): the contract mints agent runtime tokens only for
a customer backend (``createAgentToken``, Server API key). A staff member signed in with
``workspace-login`` (the demo banner's agent logins, an inbox in the browser) has no key, yet the
Agent CRM (``/agent-sdk/*``) takes only an agent runtime token. This route trades the workspace
access token for one, for the signed-in staff member and no one else, bound to that login
(``apps.runtime.services.agent_token_exchange``).
"""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from apps.identity.authentication import WorkspaceJWTAuthentication
from apps.runtime import services as runtime_services
from apps.runtime.api.serializers import SdkTokenOutput, WorkspaceAgentTokenInput
from apps.runtime.tokens import EXCHANGE_MAX_TTL_SECONDS
from ringnity.api.principal import PrincipalKind
from ringnity.api.views import TenantAPIView, validate_input


class WorkspaceAgentTokenView(TenantAPIView):
    authentication_classes = [WorkspaceJWTAuthentication]
    accepted_principals = {PrincipalKind.WORKSPACE}

    @extend_schema(
        operation_id="createWorkspaceAgentToken",
        tags=["Dashboard Auth"],
        summary="Exchange the workspace session for an agent runtime token (extension).",
        description="Ringnity extension, not in the published contract. With a workspace access token "
        "(`POST /auth/workspace-login`), returns an agent runtime token (`SdkToken`) for the signed-in staff "
        "member, to send as `X-Ringnity-SDK-Session` to `/agent-sdk/*` and the call routes. Scopes: the "
        "requested ones among the agent scopes (all of them when none are asked for; 400 when none of the "
        f"asked ones is an agent scope). `expiresIn` 60..{EXCHANGE_MAX_TTL_SECONDS} seconds (default 900). "
        "The token ends with the login it came from: a logout or a replayed refresh token ends it at once, "
        "as does deactivating the staff member. Any other credential (owner or platform JWT, Server API "
        "key, runtime or OAuth token) is 401.",
        request=WorkspaceAgentTokenInput,
        responses={201: SdkTokenOutput},
        extensions={"x-ringnity-extension": True},
    )
    def post(self, request):
        data = validate_input(WorkspaceAgentTokenInput, request.data if request.data else {})
        issued = runtime_services.agent_token_exchange(
            tenant=self.tenant,
            user=self.principal.user,
            session_family=str(self.principal.claims.get("fam") or ""),
            scopes=data.get("scopes"),
            expires_in=data["expiresIn"],
        )
        return Response(issued.as_sdk_token(), status=201)


urlpatterns = [
    path("auth/workspace-agent-token", WorkspaceAgentTokenView.as_view(), name="workspace-agent-token"),
]
