"""``GET /agent-sdk/conversations/{id}/ai-drafts``: the AI's suggested replies (routing mode ``ai_assisted``).

A documented extension: the contract has no operation for AI drafts. Agent runtime token with
``agent:conversations:read``; the conversation must be one the agent sees (else 404, as every agent route).
"""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from apps.ai import draft_services
from apps.ai.api.serializers import AiDraftListOutput
from apps.chat import conversation_services
from apps.runtime.tokens import RuntimeBearerAuthentication
from ringnity.api.principal import PrincipalKind
from ringnity.api.views import TenantAPIView


class AgentAiDraftsView(TenantAPIView):
    authentication_classes = [RuntimeBearerAuthentication]
    accepted_principals = {PrincipalKind.AGENT}
    required_scopes = {"GET": {"agent:conversations:read"}}

    @extend_schema(
        operation_id="listAgentConversationAiDrafts",
        tags=["Agent CRM"],
        summary="List the AI's suggested replies for a conversation (extension).",
        description="Ringnity extension, not in the published contract. With the AI routing mode `ai_assisted` "
        "the AI never answers the visitor: for the latest visitor message of a burst it writes a draft here, "
        "newest first (at most 20). `ready` has the text; `pending` is being written; `skipped` / `failed` say "
        "why there is none (plan, balance, provider). A draft is never sent: the agent sends it, edited or "
        "not, with `sendAgentConversationMessage`. Another agent's or tenant's conversation is 404.",
        responses={200: AiDraftListOutput},
        auth=[{"RuntimeBearer": []}],
        extensions={"x-ringnity-extension": True},
    )
    def get(self, request, id: str):
        conversation = conversation_services.agent_conversation_get(
            tenant=self.tenant, agent=request.auth.user, conversation_id=id
        )
        drafts = draft_services.ai_drafts_for_conversation(tenant=self.tenant, conversation=conversation)
        return Response(AiDraftListOutput({"drafts": drafts}).data)
