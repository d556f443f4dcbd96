"""Agent CRM routes (``/agent-sdk/...``, RuntimeBearer of kind agent) and the chat receipts."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from apps.chat import agent_services, attachment_services, conversation_services, message_services, visitor_services
from apps.chat.api import outputs
from apps.chat.api.chat_serializers import (
    AssignConversationInput,
    ConversationListQuery,
    DeleteMediaInput,
    MessageListQuery,
    SendMessageInput,
    UpdatePresenceInput,
)
from apps.chat.api.visitor_views import CHAT_SCOPE, attachment_file_response
from apps.chat.authentication import VisitorAuthentication, principal_visitor
from apps.chat.cors import ChatCorsMixin
from apps.chat.models import ParticipantType, SenderType
from apps.chat.selectors import CONVERSATION_RELATED
from apps.runtime.tokens import RuntimeBearerAuthentication
from ringnity.api.errors import ApiError, ErrorCode, validation_failed
from ringnity.api.pagination import paginate_cursor
from ringnity.api.principal import PrincipalKind
from ringnity.api.views import TenantAPIView, validate_input

AGENT_SECURITY = [{"RuntimeBearer": []}]
READ = "agent:conversations:read"
WRITE = "agent:conversations:write"


class AgentAPIView(TenantAPIView):
    authentication_classes = [RuntimeBearerAuthentication]
    accepted_principals = {PrincipalKind.AGENT}

    @property
    def agent(self):
        return self.request.auth.user

    def conversation(self, conversation_id: str):
        return conversation_services.agent_conversation_get(
            tenant=self.tenant, agent=self.agent, conversation_id=conversation_id
        )


class AgentProfileView(AgentAPIView):
    required_scopes = {"GET": {"agent:profile:read"}}

    @extend_schema(
        operation_id="getAgentProfile",
        tags=["Agent CRM"],
        summary="Read the current agent profile.",
        responses={200: outputs.AgentProfileResult},
        auth=AGENT_SECURITY,
    )
    def get(self, request):
        profile = {"agent": self.agent, "tenant": self.tenant}
        return Response(outputs.AgentProfileResult(profile, context={"scopes": request.auth.scopes}).data)


class AgentPresenceView(AgentAPIView):
    required_scopes = {"GET": {"agent:presence:read"}, "PATCH": {"agent:presence:write"}}

    @extend_schema(
        operation_id="getAgentPresence",
        tags=["Agent CRM"],
        summary="Read the current agent presence.",
        responses={200: outputs.PresenceOutput},
        auth=AGENT_SECURITY,
    )
    def get(self, request):
        return Response(
            outputs.PresenceOutput(agent_services.agent_presence_get(tenant=self.tenant, agent=self.agent)).data
        )

    @extend_schema(
        operation_id="updateAgentPresence",
        tags=["Agent CRM"],
        summary="Update the current agent presence.",
        description="`online` is stored as `available`, `unavailable` as `busy`.",
        request=UpdatePresenceInput,
        responses={200: outputs.PresenceOutput},
        auth=AGENT_SECURITY,
    )
    def patch(self, request):
        data = validate_input(UpdatePresenceInput, request.data)
        presence = agent_services.agent_presence_update(tenant=self.tenant, agent=self.agent, status=data["status"])
        return Response(outputs.PresenceOutput(presence).data)


class AgentConversationListView(AgentAPIView):
    required_scopes = {"GET": {READ}}

    @extend_schema(
        operation_id="listAgentConversations",
        tags=["Agent CRM"],
        summary="List conversations visible to the current agent.",
        description=(
            "Newest activity first, keyset-paged on (lastMessageAt, id). Agents see their own conversations "
            "and the unassigned queue of their department and of no department; supervisors, admins and "
            "owners see the whole tenant."
        ),
        parameters=[ConversationListQuery],
        responses={200: outputs.ConversationListResult},
        auth=AGENT_SECURITY,
    )
    def get(self, request):
        query = validate_input(ConversationListQuery, request.query_params)
        conversations = conversation_services.agent_visible_conversations(tenant=self.tenant, agent=self.agent)
        if query.get("status"):
            conversations = conversations.filter(status=query["status"])
        if query.get("departmentId"):
            conversations = conversations.filter(department__public_id=query["departmentId"])
        try:
            rows, next_cursor = paginate_cursor(
                conversations.select_related(*CONVERSATION_RELATED),
                cursor=query.get("cursor") or None,
                limit=query["limit"],
                fields=("last_message_at", "id"),
            )
        except (DjangoValidationError, ValueError, TypeError) as exc:
            raise validation_failed(["cursor: not a cursor this API issued."]) from exc
        return Response(outputs.ConversationListResult({"conversations": rows, "nextCursor": next_cursor}).data)


class AgentConversationView(AgentAPIView):
    required_scopes = {"GET": {READ}}

    @extend_schema(
        operation_id="getAgentConversation",
        tags=["Agent CRM"],
        summary="Read one agent-visible conversation.",
        responses={200: outputs.ConversationResult},
        auth=AGENT_SECURITY,
    )
    def get(self, request, id):
        return Response(outputs.ConversationResult({"conversation": self.conversation(id)}).data)


class AgentMessageCollectionView(AgentAPIView):
    required_scopes = {"GET": {READ}, "POST": {WRITE}}

    @extend_schema(
        operation_id="listAgentConversationMessages",
        tags=["Agent CRM"],
        summary="List messages in a conversation.",
        description="Oldest first; `nextCursor` is the message id to pass as `before` for older messages.",
        parameters=[MessageListQuery],
        responses={200: outputs.MessageListResult},
        auth=AGENT_SECURITY,
    )
    def get(self, request, id):
        query = validate_input(MessageListQuery, request.query_params)
        messages, next_cursor = message_services.conversation_messages(
            conversation=self.conversation(id), limit=query["limit"], before=query.get("before") or None
        )
        return Response(outputs.MessageListResult({"messages": messages, "nextCursor": next_cursor}).data)

    @extend_schema(
        operation_id="sendAgentConversationMessage",
        tags=["Agent CRM"],
        summary="Send an agent message.",
        description="Idempotent by `clientMessageId`; a closed conversation is 409 CONFLICT.",
        request=SendMessageInput,
        responses={201: outputs.MessageResult},
        auth=AGENT_SECURITY,
    )
    def post(self, request, id):
        data = validate_input(SendMessageInput, request.data)
        message, _ = message_services.message_send(
            conversation=self.conversation(id),
            sender_type=SenderType.AGENT,
            agent=self.agent,
            body=data["body"],
            message_type=data["messageType"],
            metadata=data.get("metadata"),
            client_message_id=data.get("clientMessageId", ""),
        )
        agent_services.agent_touch(tenant=self.tenant, agent=self.agent)
        return Response(outputs.MessageResult({"message": message}).data, status=201)


class AgentMessageReadView(AgentAPIView):
    required_scopes = {"POST": {WRITE}}

    @extend_schema(
        operation_id="markAgentMessageRead",
        tags=["Agent CRM"],
        summary="Mark an agent conversation message as read.",
        request=None,
        responses={200: outputs.ReceiptResult},
        auth=AGENT_SECURITY,
    )
    def post(self, request, id, messageId):
        receipt, _ = message_services.receipt_mark(
            conversation=self.conversation(id),
            message_id=messageId,
            participant_type=ParticipantType.AGENT,
            participant_id=self.agent.public_id,
            read=True,
        )
        return Response(outputs.ReceiptResult(receipt).data)


class AgentAttachmentDeleteView(AgentAPIView):
    required_scopes = {"DELETE": {"agent:media:delete"}}

    @extend_schema(
        operation_id="deleteAgentConversationAttachment",
        tags=["Agent CRM"],
        summary="Delete an attachment-bearing conversation message.",
        description="Soft-deletes the chat message that owns the attachment so the action remains auditable.",
        request=DeleteMediaInput,
        responses={200: outputs.AttachmentDeletedResult},
        auth=AGENT_SECURITY,
    )
    def delete(self, request, id, messageId):
        data = validate_input(DeleteMediaInput, request.data or {})
        result = agent_services.attachment_message_delete(
            conversation=self.conversation(id), agent=self.agent, message_id=messageId, reason=data.get("reason", "")
        )
        return Response(outputs.AttachmentDeletedResult({**result, "deleted": True}).data)


class AgentAttachmentDownloadView(AgentAPIView):
    """An attachment's file for an agent who sees the conversation (not in the contract: excluded)."""

    required_scopes = {"GET": {READ}}

    @extend_schema(exclude=True)
    def get(self, request, conversationId, attachmentId):
        attachment = attachment_services.attachment_for_download(
            conversation=self.conversation(conversationId), attachment_id=attachmentId
        )
        return attachment_file_response(attachment)


class AgentAssignView(AgentAPIView):
    required_scopes = {"POST": {"agent:conversations:assign"}}

    @extend_schema(
        operation_id="assignAgentConversation",
        tags=["Agent CRM"],
        summary="Assign or transfer a conversation from the agent SDK.",
        description=(
            "No target: the current agent accepts (409 CONFLICT when another agent already has it). A target "
            "agent must be an active staff member of the tenant; reassigning another agent's conversation "
            "needs a supervisor, admin or owner (403)."
        ),
        request=AssignConversationInput,
        responses={200: outputs.AssignmentResult},
        auth=AGENT_SECURITY,
    )
    def post(self, request, id):
        data = validate_input(AssignConversationInput, request.data or {})
        assignment, conversation = conversation_services.conversation_assign(
            tenant=self.tenant,
            agent=self.agent,
            conversation_id=id,
            assigned_agent_id=data.get("assignedAgentId") or None,
            assigned_department_id=data.get("assignedDepartmentId") or None,
            reason=data.get("reason", ""),
            is_transfer=data["isTransfer"],
        )
        agent_services.agent_touch(tenant=self.tenant, agent=self.agent)
        return Response(outputs.AssignmentResult({"assignment": assignment, "conversation": conversation}).data)


class AgentCloseView(AgentAPIView):
    required_scopes = {"POST": {"agent:conversations:close"}}

    @extend_schema(
        operation_id="closeAgentConversation",
        tags=["Agent CRM"],
        summary="Close a conversation from the agent SDK.",
        description="Sets status `closed` and the closing time; closing twice is fine.",
        request=None,
        responses={200: outputs.ConversationResult},
        auth=AGENT_SECURITY,
    )
    def post(self, request, id):
        conversation = conversation_services.conversation_close(
            tenant=self.tenant, agent=self.agent, conversation_id=id
        )
        agent_services.agent_touch(tenant=self.tenant, agent=self.agent)
        return Response(outputs.ConversationResult({"conversation": conversation}).data)


# --- receipts (visitor or agent) ----------------------------------------------------------


class _ReceiptView(ChatCorsMixin, TenantAPIView):
    """Participants only: the conversation's visitor, or an agent who sees it; anyone else 404."""

    authentication_classes = [VisitorAuthentication]
    accepted_principals = {PrincipalKind.VISITOR, PrincipalKind.AGENT}
    read = False

    def post(self, request, conversationId, messageId):
        principal = request.auth
        if principal.kind == PrincipalKind.VISITOR:
            if CHAT_SCOPE not in principal.scopes:
                raise ApiError(ErrorCode.PERMISSION_DENIED, "The credential lacks a required scope.", status=403)
            visitor = principal_visitor(principal)
            conversation = visitor_services.visitor_conversation_get(visitor=visitor, conversation_id=conversationId)
            participant = (ParticipantType.VISITOR, visitor.public_id)
        else:
            if WRITE not in principal.scopes:
                raise ApiError(ErrorCode.PERMISSION_DENIED, "The credential lacks a required scope.", status=403)
            conversation = conversation_services.agent_conversation_get(
                tenant=self.tenant, agent=principal.user, conversation_id=conversationId
            )
            participant = (ParticipantType.AGENT, principal.user.public_id)
        receipt, _ = message_services.receipt_mark(
            conversation=conversation,
            message_id=messageId,
            participant_type=participant[0],
            participant_id=participant[1],
            read=self.read,
        )
        return Response(outputs.ReceiptResult(receipt).data)


class MessageDeliveredView(_ReceiptView):
    @extend_schema(
        operation_id="markChatMessageDelivered",
        tags=["Chat"],
        summary="Mark a chat message as delivered.",
        description="Idempotent; only a participant of the conversation (visitor or agent) may mark (others 404).",
        request=None,
        responses={200: outputs.ReceiptResult},
    )
    def post(self, request, conversationId, messageId):
        return super().post(request, conversationId, messageId)


class MessageReadView(_ReceiptView):
    read = True

    @extend_schema(
        operation_id="markChatMessageRead",
        tags=["Chat"],
        summary="Mark a chat message as read.",
        description="Idempotent; read implies delivered; participants only (others 404).",
        request=None,
        responses={200: outputs.ReceiptResult},
    )
    def post(self, request, conversationId, messageId):
        return super().post(request, conversationId, messageId)
