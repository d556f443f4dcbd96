"""``POST /chat/visitor/conversations/{conversationId}/rating``: a documented extension route.

The contract has no rating operation, yet satisfaction figures need ratings. The visitor
authenticates like every visitor chat route (``apps.chat.authentication.VisitorAuthentication``:
SDK visitor session or chat session token); a request with neither is 401
``SDK_SESSION_REQUIRED``, another visitor's or tenant's conversation is 404.
"""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from apps.chat.authentication import VisitorAuthentication, principal_visitor
from apps.reports.api.serializers import RatingInput, RatingOutput
from apps.reports.services import rating_create
from ringnity.api.errors import ApiError, ErrorCode
from ringnity.api.principal import PrincipalKind
from ringnity.api.views import TenantAPIView, validate_input


class VisitorConversationRatingView(TenantAPIView):
    authentication_classes = [VisitorAuthentication]
    accepted_principals = {PrincipalKind.VISITOR}
    required_scopes = {"POST": {"visitor:chat"}}

    @extend_schema(
        operation_id="rateVisitorConversation",
        tags=["Chat"],
        summary="Rate a resolved or closed conversation (extension).",
        description="Ringnity extension, not in the published contract: the visitor rates its own "
        "resolved or closed conversation once, `score` 1-5 and an optional `comment` (up to 2000 "
        "characters). Counted in the reports' satisfaction figures. 409 `CONFLICT` for an open "
        "conversation or a second rating; 404 for another visitor's conversation.",
        request=RatingInput,
        responses={201: RatingOutput},
        extensions={"x-ringnity-extension": True},
    )
    def post(self, request, conversationId: str):
        visitor = principal_visitor(self.principal)
        if visitor is None:
            raise ApiError(ErrorCode.SDK_SESSION_REQUIRED, "A visitor session is required.", status=401)
        data = validate_input(RatingInput, request.data)
        rating = rating_create(
            visitor=visitor, conversation_id=conversationId, score=data["score"], comment=data["comment"]
        )
        return Response(RatingOutput(rating).data, status=201)
