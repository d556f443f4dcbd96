"""``GET/PUT /sdk/developer/ai-routing``: the workspace owner turns the AI on (a documented extension).

Developer Settings style: a dashboard session (owner or workspace JWT) of the tenant's owner or an admin
(others 403 ``PERMISSION_DENIED``); the answer is the contract's ``AiRouting`` (mode, whether the AI may
answer now, whether an agent is online). The contract sets the mode only through the platform console.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from apps.ai import services
from apps.ai.api.serializers import AiRoutingOutput
from apps.ai.models import RoutingMode
from apps.developer.api.base import DeveloperView
from ringnity.api.serializers import InputSerializer
from ringnity.api.views import validate_input

MODES_HELP = (
    "`human_only` (default): people answer, the AI is off. `ai_first`: the AI answers visitors and hands off to "
    "people. `ai_assisted`: people answer; the AI drafts a reply for them (`listAgentConversationAiDrafts`)."
)


class AiRoutingInput(InputSerializer):
    mode = serializers.ChoiceField(choices=RoutingMode.values)


class DeveloperAiRoutingView(DeveloperView):
    @extend_schema(
        operation_id="getDeveloperAiRouting",
        tags=["Developer Settings"],
        summary="Read the workspace's AI routing mode (extension).",
        description=f"Ringnity extension, not in the published contract. {MODES_HELP}",
        responses={200: AiRoutingOutput},
        extensions={"x-ringnity-extension": True},
    )
    def get(self, request):
        return Response(AiRoutingOutput(services.routing_get(tenant=self.tenant)).data)

    @extend_schema(
        operation_id="updateDeveloperAiRouting",
        tags=["Developer Settings"],
        summary="Set the workspace's AI routing mode (extension).",
        description=f"Ringnity extension, not in the published contract. {MODES_HELP} `canUseAi` in the answer "
        "says whether the AI can work now (plan, balance, knowledge base).",
        request=AiRoutingInput,
        responses={200: AiRoutingOutput},
        extensions={"x-ringnity-extension": True},
    )
    def put(self, request):
        data = validate_input(AiRoutingInput, request.data)
        services.routing_mode_set(tenant=self.tenant, mode=data["mode"])
        return Response(AiRoutingOutput(services.routing_get(tenant=self.tenant)).data)
