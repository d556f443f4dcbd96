"""Call sessions (``/calls/sessions...``) and the visitor's call link.

Who may call (the contract's ``RuntimeBearer`` or ``DashboardBearer``, or the visitor's
``sessionToken`` body field):

* a visitor (runtime token with ``visitor:calls``, ``X-Ringnity-Chat-Session`` header, or the
  ``sessionToken`` body field) — only on its own conversations; another visitor's call is 404;
* an agent runtime token with ``agent:calls:write``, or an owner/workspace dashboard JWT —
  any conversation and call of the tenant.

Admin SDK tokens are refused (401); a runtime token without the calls scope is 403
``CALL_PERMISSION_DENIED``.
"""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from apps.calls import link_services, selectors, services
from apps.calls.api.outputs import CallLinkResult, CallSessionResult
from apps.calls.api.serializers import (
    AnswerCallSessionInput,
    CallLinkInput,
    CreateCallSessionInput,
    EndCallSessionInput,
    FailCallSessionInput,
)
from apps.calls.authentication import CallSessionTokenAuthentication
from apps.calls.models import CallActorKind
from apps.calls.selectors import CallActor
from apps.chat.authentication import VisitorAuthentication, principal_visitor
from apps.chat.cors import ChatCorsMixin
from apps.identity.authentication import DashboardJWTAuthentication
from ringnity.api.errors import ApiError, ErrorCode, validation_failed
from ringnity.api.exceptions import flatten_errors
from ringnity.api.principal import PrincipalKind
from ringnity.api.views import TenantAPIView

#: The runtime scope each runtime kind needs on the call routes (dashboard JWTs need none).
CALL_SCOPES = {PrincipalKind.VISITOR: "visitor:calls", PrincipalKind.AGENT: "agent:calls:write"}
_ACTOR_KINDS = {
    PrincipalKind.VISITOR: CallActorKind.VISITOR,
    PrincipalKind.AGENT: CallActorKind.AGENT,
    PrincipalKind.OWNER: CallActorKind.OWNER,
    PrincipalKind.WORKSPACE: CallActorKind.WORKSPACE,
}
#: What the f-strings of this module's errors name, for the examples of the generated docs.
ERROR_EXAMPLE_VALUES = {"scope": CALL_SCOPES[PrincipalKind.AGENT]}
#: The first bad field decides the code of a create 400; every bad field is listed in details.
_CREATE_FIELD_CODES = (
    ("conversationId", ErrorCode.CALL_SESSION_CONVERSATION_REQUIRED),
    ("type", ErrorCode.CALL_SESSION_TYPE_INVALID),
)


def _validated(serializer_class, data, field_codes=()) -> dict:
    serializer = serializer_class(data=data)
    if serializer.is_valid():
        return serializer.validated_data
    errors = serializer.errors
    code = next((code for field, code in field_codes if field in errors), ErrorCode.VALIDATION_FAILED)
    raise validation_failed(flatten_errors(errors), code=code)


class CallAPIView(ChatCorsMixin, TenantAPIView):
    """A widget calls these from a customer's page: the chat routes' CORS (the tenant's allowed origins)."""

    accepted_principals = {PrincipalKind.VISITOR, PrincipalKind.AGENT, PrincipalKind.OWNER, PrincipalKind.WORKSPACE}

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        scope = CALL_SCOPES.get(self.principal.kind)
        if scope and not self.principal.has_scopes({scope}):
            raise ApiError(
                ErrorCode.CALL_PERMISSION_DENIED,
                "The credential lacks the calls scope.",
                status=403,
                details=[f"missing scope: {scope}"],
            )

    @property
    def actor(self) -> CallActor:
        principal = self.principal
        visitor = principal_visitor(principal)
        if principal.kind == PrincipalKind.VISITOR and visitor is None:
            raise ApiError(ErrorCode.SDK_SESSION_REQUIRED, "A visitor session is required.", status=401)
        # The join page's credential names its one call session (apps.calls.link_services.call_join_credential).
        bound = (principal.claims.get("ctx") or {}).get("callSession") if visitor is not None else None
        return CallActor(
            kind=_ACTOR_KINDS[principal.kind], user=principal.user, visitor=visitor, call_session_id=bound or None
        )


class CallSessionAPIView(CallAPIView):
    authentication_classes = [VisitorAuthentication, DashboardJWTAuthentication, CallSessionTokenAuthentication]


class CallSessionCollectionView(CallSessionAPIView):
    @extend_schema(
        operation_id="createCallSession",
        tags=["Calls"],
        summary="Create a product-level internet audio or video call session.",
        description="Creates a call session attached to a conversation without exposing low-level media transport "
        "details. Needs the plan's `voice_call` (audio) or `video_call` (video) service "
        "(else 403 `CALL_PERMISSION_DENIED`). `status` may be `started` (default), or `answered`, "
        "`missed`, `failed` to record a call that already moved on; `ended` is 409 (use the end route).",
        request=CreateCallSessionInput,
        responses={201: CallSessionResult},
    )
    def post(self, request):
        data = _validated(CreateCallSessionInput, request.data, _CREATE_FIELD_CODES)
        call = services.call_session_create(
            tenant=self.tenant,
            actor=self.actor,
            conversation_id=data["conversationId"],
            call_type=data["type"],
            direction=data["direction"],
            status=data["status"],
            started_at=data.get("startedAt"),
            metadata=data["metadata"],
        )
        return Response(CallSessionResult(call).data, status=201)


class CallSessionDetailView(CallSessionAPIView):
    @extend_schema(
        operation_id="getCallSession",
        tags=["Calls"],
        summary="Read a product-level call session.",
        responses={200: CallSessionResult},
    )
    def get(self, request, callSessionId):
        call = selectors.call_session_get(tenant=self.tenant, actor=self.actor, call_session_id=callSessionId)
        return Response(CallSessionResult(call).data)


class CallSessionEndView(CallSessionAPIView):
    @extend_schema(
        operation_id="endCallSession",
        tags=["Calls"],
        summary="End a product-level call session.",
        description="Ends a `started` or `answered` call: stores `reason` as `endReason` and computes "
        "`durationSeconds` from `answeredAt` (else `startedAt`) to the end. Idempotent: ending an ended "
        "call returns it unchanged. A `missed` or `failed` call is 409.",
        request=EndCallSessionInput,
        responses={200: CallSessionResult},
    )
    def patch(self, request, callSessionId):
        data = _validated(EndCallSessionInput, request.data)
        call = services.call_session_end(
            tenant=self.tenant, actor=self.actor, call_session_id=callSessionId, reason=data.get("reason") or None
        )
        return Response(CallSessionResult(call).data)


class CallSessionAnswerView(CallSessionAPIView):
    @extend_schema(
        operation_id="answerCallSession",
        tags=["Calls"],
        summary="Answer a started call session (extension).",
        description="Ringnity extension, not in the published contract: the callee picks up a `started` call, which "
        "becomes `answered` (`answeredAt`, `call.answered`; the duration then counts from here). The callee is the "
        "tenant's staff (agent runtime token with `agent:calls:write`, or a dashboard JWT) for an `inbound` call, "
        "such as one a visitor started from a call link, and the visitor for an `outbound` one; the caller "
        "answering its own call is 403 `CALL_PERMISSION_DENIED`. Any status but `started` is 409 `CONFLICT`.",
        request=AnswerCallSessionInput,
        responses={200: CallSessionResult},
        extensions={"x-ringnity-extension": True},
    )
    def patch(self, request, callSessionId):
        _validated(AnswerCallSessionInput, request.data)
        call = services.call_session_answer(tenant=self.tenant, actor=self.actor, call_session_id=callSessionId)
        return Response(CallSessionResult(call).data)


class CallSessionFailView(CallSessionAPIView):
    @extend_schema(
        operation_id="failCallSession",
        tags=["Calls"],
        summary="Record that a started call never connected (extension).",
        description="Ringnity extension, not in the published contract: a `started` call ends unanswered, as "
        "`missed` (nobody answered, or the callee declined: `call.missed`) or `failed` (it could not connect: "
        "`call.ended` with status `failed`); `reason` is stored as `endReason`. Either side may say so. Any status "
        "but `started` is 409 `CONFLICT` (an answered call is ended with `endCallSession`).",
        request=FailCallSessionInput,
        responses={200: CallSessionResult},
        extensions={"x-ringnity-extension": True},
    )
    def patch(self, request, callSessionId):
        data = _validated(FailCallSessionInput, request.data)
        call = services.call_session_fail(
            tenant=self.tenant,
            actor=self.actor,
            call_session_id=callSessionId,
            status=data["status"],
            reason=data.get("reason") or None,
        )
        return Response(CallSessionResult(call).data)


class VisitorCallLinkView(CallAPIView):
    authentication_classes = [VisitorAuthentication]
    accepted_principals = {PrincipalKind.VISITOR}

    @extend_schema(
        operation_id="createVisitorConversationCallLink",
        tags=["Chat"],
        summary="Create an internet call link for a visitor conversation.",
        description="A signed link to join a `voice_call` (default) or `video_call` about the visitor's own "
        f"conversation, valid for {int(link_services.CALL_LINK_TTL.total_seconds() // 60)} minutes and for one "
        "join: its `url` opens the join page. The service must be available for the tenant (else 403 "
        "`FEATURE_NOT_AVAILABLE`).",
        request=CallLinkInput,
        responses={201: CallLinkResult},
    )
    def post(self, request, conversationId):
        data = _validated(CallLinkInput, request.data)
        link, token = link_services.call_link_create(
            tenant=self.tenant,
            actor=self.actor,
            conversation_id=conversationId,
            service=data["service"],
            metadata=data["metadata"],
        )
        return Response(CallLinkResult(link, context={"token": token}).data, status=201)
