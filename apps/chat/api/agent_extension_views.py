"""Agent CRM routes beyond the contract (``x-ringnity-extension``), each one a gap the web inbox found:
the contract's agent SDK can close a conversation but not reopen it, cannot read or edit the contact of
a conversation, and cannot name the colleagues a conversation may be transferred to."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from apps.chat import agent_services, conversation_services, selectors
from apps.chat.api import outputs
from apps.chat.api.agent_views import AGENT_SECURITY, READ, WRITE, AgentAPIView
from apps.chat.api.serializers import ContactInputSerializer
from ringnity.api.errors import ErrorCode

EXTENSION = {"x-ringnity-extension": True}
NOT_IN_CONTRACT = "Ringnity extension, not in the published contract. "


class AgentTeammateListView(AgentAPIView):
    required_scopes = {"GET": {READ}}

    @extend_schema(
        operation_id="listAgentTeammates",
        tags=["Agent CRM"],
        summary="List the tenant's staff, to assign or transfer a conversation to (extension).",
        description=NOT_IN_CONTRACT + "The active staff members of the agent's tenant with their role, department "
        "and chat presence, by name. Whether a transfer to one of them is allowed is decided by "
        "`assignAgentConversation`.",
        responses={200: outputs.TeammateListResult},
        auth=AGENT_SECURITY,
        extensions=EXTENSION,
    )
    def get(self, request):
        return Response(outputs.TeammateListResult({"agents": selectors.agent_teammates(tenant=self.tenant)}).data)


class AgentReopenView(AgentAPIView):
    required_scopes = {"POST": {"agent:conversations:close"}}

    @extend_schema(
        operation_id="reopenAgentConversation",
        tags=["Agent CRM"],
        summary="Reopen a closed conversation from the agent SDK (extension).",
        description=NOT_IN_CONTRACT + "The counterpart of `closeAgentConversation` (same scope): a closed "
        "conversation the agent sees becomes `open` again (`conversation.updated`); one that is not closed is "
        "returned unchanged. 409 CONFLICT when its visitor has another open conversation.",
        request=None,
        responses={200: outputs.ConversationResult},
        auth=AGENT_SECURITY,
        extensions=EXTENSION,
    )
    def post(self, request, id):
        conversation = conversation_services.conversation_reopen(
            tenant=self.tenant, agent=self.agent, conversation_id=id
        )
        agent_services.agent_touch(tenant=self.tenant, agent=self.agent)
        return Response(outputs.ConversationResult({"conversation": conversation}).data)


class AgentConversationContactView(AgentAPIView):
    required_scopes = {"GET": {READ}, "PATCH": {WRITE}}
    validation_error_code = ErrorCode.SERVER_CONTACT_VALIDATION_FAILED

    def _result(self, conversation) -> Response:
        data = {"contact": conversation.contact, "visitor": conversation.visitor}
        return Response(outputs.ConversationContactResult(data).data)

    @extend_schema(
        operation_id="getAgentConversationContact",
        tags=["Agent CRM"],
        summary="Read the contact and the visitor of a conversation (extension).",
        description=NOT_IN_CONTRACT + "`contact` is the conversation's contact (`Contact`, null when it has none, "
        "as for an anonymous visitor); `visitor` is what the visitor told about itself. Another agent's or "
        "tenant's conversation is 404.",
        responses={200: outputs.ConversationContactResult},
        auth=AGENT_SECURITY,
        extensions=EXTENSION,
    )
    def get(self, request, id):
        return self._result(self.conversation(id))

    @extend_schema(
        operation_id="updateAgentConversationContact",
        tags=["Agent CRM"],
        summary="Edit the contact of a conversation: name, phone, email, company, tags, notes (extension).",
        description=NOT_IN_CONTRACT + "With a contact, a partial update (`ContactInput` fields, as `updateContact`); "
        "without one, a `ContactInput` (name and phone required) that goes through the upsert rule of "
        "`upsertContact` (a contact with the same identity is updated, else one is created) and becomes the "
        "contact of the conversation and of its visitor (`conversation.updated`). Bad input is 400 "
        "SERVER_CONTACT_VALIDATION_FAILED naming each field, and changes nothing.",
        request=ContactInputSerializer(partial=True),
        responses={200: outputs.ConversationContactResult},
        auth=AGENT_SECURITY,
        extensions=EXTENSION,
    )
    def patch(self, request, id):
        current = self.conversation(id)
        serializer = ContactInputSerializer(
            data=request.data, partial=current.contact is not None, context={"tenant": self.tenant}
        )
        serializer.is_valid(raise_exception=True)
        conversation = conversation_services.conversation_contact_save(
            tenant=self.tenant, agent=self.agent, conversation_id=id, fields=serializer.validated_data
        )
        return self._result(conversation)
