"""Visitor AI (RuntimeBearer of kind visitor, or the widget's chat session; scope ``visitor:ai``)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from apps.ai import services, streaming, voice_services
from apps.ai.api.sdp import PlainTextParser, PlainTextRenderer, SdpParser, SdpRenderer
from apps.ai.api.serializers import (
    AiChatInput,
    AiChatOutput,
    AiConversationInput,
    AiConversationOutput,
    AiHandoffInput,
    AiRoutingOutput,
    AiVoiceSessionOutput,
    KnowledgeSearchInput,
    KnowledgeSearchOutput,
)
from apps.ai.knowledge.search import search
from apps.ai.models import VoiceEndReason
from apps.chat.authentication import VisitorAuthentication, principal_visitor
from apps.chat.cors import ChatCorsMixin
from ringnity.api.principal import PrincipalKind
from ringnity.api.renderers import EnvelopeJSONRenderer
from ringnity.api.views import TenantAPIView, validate_input

TAGS = ["AI"]
VISITOR_AI = "visitor:ai"
# The contract allows an anonymous call; these routes still answer 401 without a visitor credential.
# CORS as the chat's visitor routes (the widget calls them from the tenant's allowed domains).


class VisitorAiView(ChatCorsMixin, TenantAPIView):
    authentication_classes = [VisitorAuthentication]
    accepted_principals = {PrincipalKind.VISITOR}
    required_scopes = {"GET": {VISITOR_AI}, "POST": {VISITOR_AI}}

    @property
    def visitor(self):
        return principal_visitor(self.principal)


class AiRoutingView(VisitorAiView):
    @extend_schema(
        operation_id="getAiVisitorRouting",
        tags=TAGS,
        summary="Read AI routing mode for the visitor context.",
        description="`canUseAi`: the routing mode lets the AI answer and the `ai_chat` service is available "
        "(plan, admin switch, readiness, balance). `humanFallbackAvailable`: an agent is online.",
        responses={200: AiRoutingOutput},
    )
    def get(self, request):
        return Response(services.routing_get(tenant=self.tenant))


class AiConversationsView(VisitorAiView):
    @extend_schema(
        operation_id="createAiVisitorConversation",
        tags=TAGS,
        summary="Start an AI visitor conversation.",
        description="A chat conversation on channel `ai` (the visitor's open conversation when there is one).",
        request=AiConversationInput,
        responses={201: AiConversationOutput},
    )
    def post(self, request):
        data = validate_input(AiConversationInput, request.data or {})
        ai_conversation = services.ai_conversation_start(
            visitor=self.visitor, identity=data.get("visitor"), metadata=data.get("metadata")
        )
        return Response(services.ai_conversation_payload(ai_conversation), status=201)


class AiChatView(VisitorAiView):
    @extend_schema(
        operation_id="sendAiVisitorMessage",
        tags=TAGS,
        summary="Send a visitor AI chat message.",
        description="`stream: true` answers at once with `metadata.stream` and the id the reply will have "
        "(`metadata.messageId`); the reply arrives over the realtime gateway as `ai.delta` frames, then `ai.done`, "
        "and is stored and metered like any reply. Errors: 400 a message over "
        "`maxInputTokens`; 402 `AI_BALANCE_EMPTY`; 429 `AI_SPEND_LIMIT_REACHED`; 403 `AI_NOT_READY` / "
        "`FEATURE_NOT_AVAILABLE`. A refused request never calls the AI provider.",
        request=AiChatInput,
        responses={200: AiChatOutput},
    )
    def post(self, request):
        data = validate_input(AiChatInput, request.data)
        metadata = data.get("metadata") or {}
        send = streaming.ai_chat_stream if data["stream"] else services.ai_chat_send
        answer = send(
            visitor=self.visitor,
            message=data["message"],
            ai_conversation_id=data.get("aiConversationId", ""),
            conversation_id=data.get("conversationId", ""),
            client_message_id=str(metadata.get("clientMessageId", ""))[:200],
        )
        return Response(answer)


class AiHandoffView(VisitorAiView):
    @extend_schema(
        operation_id="handoffAiVisitorConversation",
        tags=TAGS,
        summary="Ask for a person (extension).",
        description='Ringnity extension, not in the published contract: the widget\'s "talk to a person" button. '
        "The visitor's own AI conversation (by either id) is handed to the team as when the visitor writes "
        "that it wants a person: a system message says so, the conversation waits in the agents' queue and "
        "the AI stays silent from then on. Works in any routing mode and never calls the provider; repeating "
        "it changes nothing. Another visitor's conversation is 404.",
        request=AiHandoffInput,
        responses={200: AiChatOutput},
        extensions={"x-ringnity-extension": True},
    )
    def post(self, request):
        data = validate_input(AiHandoffInput, request.data or {})
        answer = services.ai_handoff_request(
            visitor=self.visitor,
            ai_conversation_id=data.get("aiConversationId", ""),
            conversation_id=data.get("conversationId", ""),
        )
        return Response(answer)


class AiKnowledgeSearchView(VisitorAiView):
    @extend_schema(
        operation_id="searchAiVisitorKnowledge",
        tags=TAGS,
        summary="Search AI knowledge for the visitor context.",
        description="Ranked passages of the visitor's tenant only: title, snippet around the match, source, score.",
        request=KnowledgeSearchInput,
        responses={200: KnowledgeSearchOutput},
    )
    def post(self, request):
        data = validate_input(KnowledgeSearchInput, request.data)
        hits = search(tenant=self.tenant, query=data["query"], limit=data["limit"])
        return Response({"results": [hit.as_result(data["query"]) for hit in hits]})


#: Response headers of the SDP exchange: the voice session it opened and its cap.
VOICE_SESSION_HEADER = "X-Ringnity-Ai-Voice-Session"
VOICE_MAX_SECONDS_HEADER = "X-Ringnity-Ai-Voice-Max-Seconds"


class AiRealtimeCallView(VisitorAiView):
    cors_expose_headers = f"X-Request-Id, {VOICE_SESSION_HEADER}, {VOICE_MAX_SECONDS_HEADER}"
    parser_classes = [SdpParser, PlainTextParser]
    renderer_classes = [SdpRenderer, PlainTextRenderer, EnvelopeJSONRenderer]

    @extend_schema(
        operation_id="createAiVisitorRealtimeCall",
        tags=TAGS,
        summary="Create an AI voice call realtime session.",
        description="Low-level transport body is kept behind SDK call objects for normal customers. "
        "Body: the WebRTC SDP offer; answer: the provider's SDP answer. The call is a server-side voice "
        f"session (`{VOICE_SESSION_HEADER}`) paid for before the provider is called: included minutes, "
        "else the prepaid balance for up to the plan's `maxCallMinutes` (the cap, in seconds, in "
        f"`{VOICE_MAX_SECONDS_HEADER}`). End it with `endAiVisitorRealtimeCall`; at the cap it ends by itself. "
        "402 `AI_BALANCE_EMPTY`, 429 `AI_SPEND_LIMIT_REACHED`, 503 `AI_NOT_READY` without a realtime-capable "
        "provider; a refused call never reaches the provider.",
        request={"application/sdp": OpenApiTypes.STR, "text/plain": OpenApiTypes.STR},
        parameters=[
            OpenApiParameter(
                VOICE_SESSION_HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                response=[200],
                description="The voice session's id (`avs_...`), for `endAiVisitorRealtimeCall`.",
            ),
            OpenApiParameter(
                VOICE_MAX_SECONDS_HEADER,
                OpenApiTypes.INT,
                OpenApiParameter.HEADER,
                response=[200],
                description="The call's cap in seconds; it is ended and billed at most this long.",
            ),
        ],
        responses={(200, "application/sdp"): OpenApiTypes.STR, (200, "text/plain"): OpenApiTypes.STR},
    )
    def post(self, request):
        offer = request.data if isinstance(request.data, str) else ""
        session, answer = voice_services.voice_session_start(visitor=self.visitor, sdp_offer=offer)
        content_type = "text/plain" if request.content_type.startswith("text/plain") else "application/sdp"
        response = Response(answer, content_type=f"{content_type}; charset=utf-8")
        response[VOICE_SESSION_HEADER] = session.public_id
        response[VOICE_MAX_SECONDS_HEADER] = str(session.max_seconds)
        return response


class AiRealtimeCallEndView(VisitorAiView):
    @extend_schema(
        operation_id="endAiVisitorRealtimeCall",
        tags=TAGS,
        summary="End an AI voice call (extension).",
        description="Ringnity extension, not in the published contract: ends the visitor's own AI voice session "
        "(the id from the SDP exchange's `X-Ringnity-Ai-Voice-Session` header) and meters it once: the time from "
        "the SDP exchange to the end, at most the cap, at least one `voiceUnitSeconds` unit. Repeating it "
        "returns the same ended session; another visitor's session is 404.",
        request=None,
        responses={200: AiVoiceSessionOutput},
        extensions={"x-ringnity-extension": True},
    )
    def post(self, request, sessionId: str):
        session = voice_services.voice_session_get(tenant=self.tenant, visitor=self.visitor, session_id=sessionId)
        session = voice_services.voice_session_end(session_id=session.public_id, reason=VoiceEndReason.ENDED)
        return Response(AiVoiceSessionOutput(voice_services.voice_session_payload(session)).data)
