"""Visitor chat routes (``/chat/visitor/...``, ``/chat/conversations/.../receipts``).

Security is the contract's ``RuntimeBearer`` *or anonymous*, defined as follows (README "Live chat"):
a visitor runtime token (``X-Ringnity-SDK-Session``) or the chat session token
(``X-Ringnity-Chat-Session``) names the visitor. Without either, only the session start and
the conversation start are reachable, with the tenant named by ``X-Ringnity-Tenant: <slug>``
and the request's ``Origin`` on the tenant's allowed domains (403 ``SDK_ORIGIN_NOT_ALLOWED``);
they then create a fresh visitor and return its chat session token. Every other route
answers 401 ``SDK_SESSION_REQUIRED`` without a credential.
"""

from __future__ import annotations

import contextlib

from django.http import FileResponse
from drf_spectacular.utils import extend_schema
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from apps.chat import attachment_services, conversation_services, message_services, visitor_services
from apps.chat.api import outputs
from apps.chat.api.chat_serializers import (
    AttachmentInput,
    MessagePatchInput,
    UploadForm,
    VisitorConversationInput,
    VisitorMessageInput,
    VisitorSessionInput,
)
from apps.chat.authentication import (
    CHAT_SESSION_HEADER,
    AnonymousVisitorStartAuthentication,
    VisitorAuthentication,
    principal_visitor,
)
from apps.chat.cors import ChatCorsMixin
from apps.chat.models import SenderType
from apps.chat.visitor_services import CHAT_SCOPE, TENANT_HEADER
from apps.runtime.bootstrap import tenant_resolve_public
from ringnity.api.errors import ApiError, ErrorCode, validation_failed
from ringnity.api.permissions import PUBLIC
from ringnity.api.principal import PrincipalKind
from ringnity.api.throttling import client_ip
from ringnity.api.views import TenantAPIView, validate_input

TRANSCRIPT_LIMIT = 100
_ALL_METHODS = ("GET", "POST", "PATCH", "DELETE")


class VisitorAPIView(ChatCorsMixin, TenantAPIView):
    """A route on the visitor's own data: visitor runtime token or chat session token required."""

    authentication_classes = [VisitorAuthentication]
    accepted_principals = {PrincipalKind.VISITOR}
    required_scopes = {method: {CHAT_SCOPE} for method in _ALL_METHODS}

    @property
    def visitor(self):
        return principal_visitor(self.request.auth)

    def conversation(self, conversation_id: str, *, for_update: bool = False):
        return visitor_services.visitor_conversation_get(
            visitor=self.visitor, conversation_id=conversation_id, for_update=for_update
        )


class VisitorStartAPIView(VisitorAPIView):
    """Session/conversation start: also reachable with the tenant header alone (see module doc)."""

    authentication_classes = [VisitorAuthentication, AnonymousVisitorStartAuthentication]
    accepted_principals = PUBLIC

    def start_caller(self) -> visitor_services.StartCaller:
        request = self.request
        return visitor_services.StartCaller(
            principal=request.auth,
            tenant_slug=request.headers.get(TENANT_HEADER, "").strip(),
            origin=request.headers.get("Origin"),
            address=client_ip(request),
        )

    def finalize_response(self, request, response, *args, **kwargs):
        if self.cors_tenant is None and getattr(request, "_auth", None) is None:
            # An anonymous start refused by the service (429, 403, ...): the widget must still read why.
            with contextlib.suppress(ApiError):
                self.cors_tenant = tenant_resolve_public(slug=request.headers.get(TENANT_HEADER, "").strip())
        return super().finalize_response(request, response, *args, **kwargs)


class VisitorSessionView(VisitorStartAPIView):
    @extend_schema(
        operation_id="createVisitorChatSession",
        tags=["Chat"],
        summary="Create or resolve a visitor chat session.",
        description=(
            "Resolves the visitor of the SDK session or chat session token, or (with only the "
            "X-Ringnity-Tenant header and an allowed Origin) creates one. Returns `visitorId`, the chat "
            "session token `sessionToken` (send it back in X-Ringnity-Chat-Session; 30 days, sliding) and "
            "the visitor's open conversation when there is one."
        ),
        request=VisitorSessionInput,
        responses={201: outputs.VisitorSessionResult},
    )
    def post(self, request):
        data = validate_input(VisitorSessionInput, request.data)
        started = visitor_services.visitor_session_start(
            caller=self.start_caller(),
            identity=data.get("visitor"),
            metadata=data.get("metadata"),
            echoed_token=request.META.get("HTTP_X_RINGNITY_CHAT_SESSION", "").strip(),
        )
        self.cors_tenant = started.visitor.tenant
        visitor, session, open_conversation = started.visitor, started.session, started.open_conversation
        body = {
            "visitorId": visitor.public_id,
            "sessionToken": started.token,
            "sessionHeader": CHAT_SESSION_HEADER,
            "expiresAt": session.expires_at,
            "clientId": session.tenant.public_id,
            "conversation": open_conversation,
        }
        return Response(outputs.VisitorSessionResult(body).data, status=201)


class VisitorConversationCollectionView(VisitorStartAPIView):
    @extend_schema(
        operation_id="createVisitorConversation",
        tags=["Chat"],
        summary="Start a visitor chat conversation.",
        description=(
            "Needs the `chat` service (403 FEATURE_NOT_AVAILABLE). A visitor with an open conversation gets "
            "that one back (same id). Without a credential (tenant header only) the answer also holds the "
            "new visitor's `visitorId` and `sessionToken`."
        ),
        request=VisitorConversationInput,
        responses={201: outputs.ConversationStartedResult},
    )
    def post(self, request):
        data = validate_input(VisitorConversationInput, request.data)
        conversation, started = visitor_services.visitor_conversation_start(
            caller=self.start_caller(),
            identity=data.get("visitor"),
            subject=data.get("subject", ""),
            metadata=data.get("metadata"),
        )
        self.cors_tenant = conversation.tenant
        visitor, raw = started.visitor, started.new_session_token
        body = {"conversation": conversation}
        if raw is not None:
            body.update(visitorId=visitor.public_id, sessionToken=raw)
        return Response(outputs.ConversationStartedResult(body).data, status=201)


class VisitorOpenTicketView(VisitorAPIView):
    @extend_schema(
        operation_id="getVisitorOpenTicket",
        tags=["Chat"],
        summary="Get the visitor open ticket when one exists.",
        responses={200: outputs.OpenTicketResult},
    )
    def get(self, request):
        conversation = conversation_services.visitor_open_conversation(visitor=self.visitor)
        if conversation is None:
            raise ApiError(ErrorCode.NOT_FOUND, "This visitor has no open ticket.", status=404)
        return Response(outputs.OpenTicketResult(conversation).data)


class VisitorAvailabilityView(VisitorAPIView):
    @extend_schema(
        operation_id="getVisitorChatAvailability",
        tags=["Chat"],
        summary="Read chat availability for the current visitor context.",
        description="`status` is the chat service status; `available` also needs an agent online.",
        responses={200: outputs.AvailabilityResult},
    )
    def get(self, request):
        return Response(outputs.AvailabilityResult(conversation_services.chat_availability(tenant=self.tenant)).data)


class VisitorConversationView(VisitorAPIView):
    @extend_schema(
        operation_id="getVisitorConversation",
        tags=["Chat"],
        summary="Read a visitor conversation.",
        description=f"The conversation and its latest {TRANSCRIPT_LIMIT} messages (oldest first).",
        responses={200: outputs.ConversationWithMessagesResult},
    )
    def get(self, request, conversationId):
        conversation = self.conversation(conversationId)
        messages, _ = message_services.conversation_messages(conversation=conversation, limit=TRANSCRIPT_LIMIT)
        return Response(
            outputs.ConversationWithMessagesResult({"conversation": conversation, "messages": messages}).data
        )


class VisitorMessageCollectionView(VisitorAPIView):
    @extend_schema(
        operation_id="sendVisitorConversationMessage",
        tags=["Chat"],
        summary="Send a visitor chat message.",
        description=(
            "Idempotent by `clientMessageId`: a retry returns the first message and creates nothing. "
            "A `visitor` identity updates the (unverified) visitor only; it never links or creates a contact."
        ),
        request=VisitorMessageInput,
        responses={201: outputs.MessageResult},
    )
    def post(self, request, conversationId):
        data = validate_input(VisitorMessageInput, request.data)
        conversation = self.conversation(conversationId)
        if data.get("visitor"):
            visitor_services.visitor_identify(visitor=self.visitor, identity=data["visitor"])
        message, _ = message_services.message_send(
            conversation=conversation,
            sender_type=SenderType.VISITOR,
            visitor=self.visitor,
            body=data["body"],
            message_type=data["messageType"],
            metadata=data.get("metadata"),
            client_message_id=data.get("clientMessageId", ""),
        )
        return Response(outputs.MessageResult({"message": message}).data, status=201)


class VisitorMessageView(VisitorAPIView):
    @extend_schema(
        operation_id="editVisitorConversationMessage",
        tags=["Chat"],
        summary="Edit a visitor chat message.",
        description="Only the visitor's own, not deleted messages (403 / 409 otherwise); sets `editedAt`.",
        request=MessagePatchInput,
        responses={200: outputs.MessageResult},
    )
    def patch(self, request, conversationId, messageId):
        data = validate_input(MessagePatchInput, request.data)
        message = message_services.message_edit(
            conversation=self.conversation(conversationId),
            visitor=self.visitor,
            message_id=messageId,
            body=data.get("body"),
            metadata=data.get("metadata"),
        )
        return Response(outputs.MessageResult({"message": message}).data)

    @extend_schema(
        operation_id="deleteVisitorConversationMessage",
        tags=["Chat"],
        summary="Delete a visitor chat message.",
        description="Soft delete: `deletedAt` is set and the body is empty in every later read.",
        request=None,
        responses={200: outputs.MessageDeletedResult},
    )
    def delete(self, request, conversationId, messageId):
        message = message_services.message_delete(
            conversation=self.conversation(conversationId), visitor=self.visitor, message_id=messageId
        )
        return Response(outputs.MessageDeletedResult({"deleted": True, "message": message}).data)


class VisitorAttachmentView(VisitorAPIView):
    @extend_schema(
        operation_id="createVisitorConversationAttachment",
        tags=["Chat"],
        summary="Create attachment metadata for a visitor conversation.",
        description=(
            "Records a pending attachment (type from the allowlist, size within the plan's `attachment_mb`, "
            "413 beyond); upload its bytes with `attachmentId` in the multipart upload. Counts against the "
            "visitor's upload budget (429 RATE_LIMITED) and the conversation's (409 CONFLICT)."
        ),
        request=AttachmentInput,
        responses={201: outputs.AttachmentResult},
    )
    def post(self, request, conversationId):
        data = validate_input(AttachmentInput, request.data)
        attachment = attachment_services.attachment_declare(
            conversation=self.conversation(conversationId),
            visitor=self.visitor,
            filename=data["filename"],
            content_type=data["contentType"],
            size=data["size"],
            metadata=data.get("metadata") or {},
        )
        return Response(outputs.AttachmentResult({"attachment": attachment}).data, status=201)


class VisitorAttachmentUploadView(VisitorAPIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="uploadVisitorConversationAttachment",
        tags=["Chat"],
        summary="Upload a visitor conversation attachment.",
        description=(
            "The type is decided from the file's bytes (png, jpeg, gif, webp, pdf, plain text, docx, xlsx; "
            "else 400, also for markup or scripts riding along); at most the plan's `attachment_mb` (413); "
            "within the visitor's upload budget (429 RATE_LIMITED), the conversation's (409 CONFLICT) and the "
            "plan's `attachment_storage_mb` (400 QUOTA_EXCEEDED); stored under a server-made name. The "
            "upload is posted as a message of type `attachment`."
        ),
        request={
            "multipart/form-data": {
                "type": "object",
                "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary"}},
            }
        },
        responses={201: outputs.AttachmentUploadedResult},
    )
    def post(self, request, conversationId):
        conversation = self.conversation(conversationId)
        # Refuse a body far over the plan's limit before Django spools it to disk.
        attachment_services.attachment_body_check(tenant=self.tenant, content_length=request.META.get("CONTENT_LENGTH"))
        form = UploadForm(data=request.data)
        if not form.is_valid():
            raise validation_failed([f"{field}: {' '.join(map(str, errors))}" for field, errors in form.errors.items()])
        result = attachment_services.attachment_upload(
            conversation=conversation,
            visitor=self.visitor,
            upload=form.validated_data["file"],
            attachment_id=form.validated_data.get("attachmentId", ""),
        )
        return Response(outputs.AttachmentUploadedResult(result).data, status=201)


class VisitorAttachmentDownloadView(VisitorAPIView):
    """The file of an uploaded attachment, always as a download (not in the contract: excluded)."""

    @extend_schema(exclude=True)
    def get(self, request, conversationId, attachmentId):
        conversation = self.conversation(conversationId)
        attachment = attachment_services.attachment_for_download(conversation=conversation, attachment_id=attachmentId)
        return attachment_file_response(attachment)


def attachment_file_response(attachment) -> FileResponse:
    name = attachment.file.name.rsplit("/", 1)[-1]
    response = FileResponse(
        attachment.file.open("rb"), as_attachment=True, filename=name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
