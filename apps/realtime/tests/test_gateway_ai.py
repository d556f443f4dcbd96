"""AI over the gateway, against a real uvicorn process and a fake OpenAI-compatible provider on loopback:
``stream: true`` delivers deltas whose concatenation is the stored (and metered) reply, for the extractive
provider and the provider's streaming API; a visitor's hangup ends (and meters) its AI voice session."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from apps.ai import services
from apps.ai.models import AiConversation, AiVoiceSession, RoutingMode
from apps.ai.tests.conftest import _Server as FakeProvider
from apps.ai.tests.factories import ai_tenant, indexed_document, visitor_headers
from apps.billing.models import AiUsageLog
from apps.billing.services import ai_pricing_update
from apps.billing.tests.factories import fund_ai
from apps.chat.models import Message
from apps.plans import entitlements
from apps.plans.models import PlanFeature
from ringnity.celery import app as celery_app

from .gateway import gateway_process, token_of

pytestmark = pytest.mark.django_db(transaction=True)
SDP_OFFER = "v=0\r\no=- 46117317 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
SDP_ANSWER = "v=0\r\no=- 7734112 2 IN IP4 127.0.0.1\r\ns=provider\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"


@pytest.fixture
def provider(settings):
    server = FakeProvider()
    server.routes["/v1/realtime"] = (200, {"Content-Type": "application/sdp"}, SDP_ANSWER.encode())
    settings.AI_PROVIDER_BASE_URL = server.url("/v1")
    settings.AI_PROVIDER_API_KEY = "sk-test-fake"
    settings.AI_PROVIDER_TIMEOUT_SECONDS = 5
    yield server
    server.close()


@pytest.fixture(autouse=True)
def _eager_celery():
    """``ai.stream_reply`` runs in this process on commit (no worker); its frames still travel through Redis."""
    previous = celery_app.conf.get("CELERY_TASK_ALWAYS_EAGER")
    celery_app.conf["CELERY_TASK_ALWAYS_EAGER"] = True
    yield
    celery_app.conf["CELERY_TASK_ALWAYS_EAGER"] = previous


@pytest.fixture(scope="module")
def gateway(django_db_setup):
    with gateway_process() as server:
        yield server


def voice_tenant():
    tenant = ai_tenant(
        features={"chat": True, "ai_chat": True, "ai_voice": True, "knowledge_base": True},
        quotas={
            "ai_voice_minutes": 0,
            "ai_chat_replies": "unlimited",
            "contacts": "unlimited",
            "realtime_connections": 10,
        },
    )
    PlanFeature.objects.filter(plan__subscriptions__tenant=tenant, feature__key="ai_voice").update(
        config={"maxCallMinutes": 10}
    )
    entitlements.invalidate()
    services.routing_mode_set(tenant=tenant, mode=RoutingMode.AI_FIRST)
    ai_pricing_update(
        changes={
            "voice_model": "gpt-test-realtime",
            "voice_cost_per_minute_usd": Decimal("0.03"),
            "risk_buffer_percent": Decimal("0"),
            "markup_multiplier": Decimal("2"),
            "voice_unit_seconds": 60,
        }
    )
    fund_ai(tenant, 100, block_on_zero=True, overage_enabled=False)
    return tenant


def test_a_visitor_hangup_ends_its_ai_voice_session_and_meters_it_once(gateway, api_client, provider):
    tenant = voice_tenant()
    visitor = visitor_headers(tenant, subject="vis_voice")
    response = api_client.post("/api/ai/visitor/realtime/call", SDP_OFFER, content_type="application/sdp", **visitor)
    assert response.status_code == 200, response.content
    session_id = response["X-Ringnity-Ai-Voice-Session"]

    stranger = gateway.socket()
    stranger.auth(token_of(visitor_headers(tenant, subject="vis_other")))
    stranger.send({"type": "call.hangup", "callSessionId": session_id})
    assert stranger.recv_type("error")["code"] == "CALL_SESSION_NOT_FOUND"
    assert AiVoiceSession.objects.get(public_id=session_id).ended_at is None

    sock = gateway.socket()
    sock.auth(token_of(visitor))
    sock.send({"type": "call.hangup", "callSessionId": session_id, "reason": "bye"})
    ended = sock.recv_type("ai.voice.ended")
    assert ended["sessionId"] == session_id
    assert ended["billedSeconds"] == 60  # at least one voice unit: the call reached the provider
    sock.send({"type": "call.hangup", "callSessionId": session_id})
    assert sock.recv_type("ai.voice.ended") == ended  # ended once
    session = AiVoiceSession.objects.get(public_id=session_id)
    assert (session.end_reason, session.billed_seconds) == ("ended", 60)
    assert AiUsageLog.objects.filter(tenant=tenant).count() == 1


def chat_tenant():
    tenant = ai_tenant(
        quotas={
            "knowledge_documents": 5,
            "ai_chat_replies": "unlimited",
            "contacts": "unlimited",
            "realtime_connections": 10,
        }
    )
    services.routing_mode_set(tenant=tenant, mode=RoutingMode.AI_FIRST)
    indexed_document(tenant, "shipping.txt", "Standard shipping takes three to five business days within Europe.")
    return tenant


def streamed(gateway, api_client, assert_contract, tenant, subject) -> tuple[dict, list[dict], dict]:
    """Asks with ``stream: true`` while the visitor's socket listens: (answer, ai.delta frames, ai.done)."""
    visitor = visitor_headers(tenant, subject=subject)
    sock = gateway.socket()
    sock.auth(token_of(visitor))
    response = api_client.post(
        "/api/ai/visitor/chat", {"message": "How long does shipping take?", "stream": True}, format="json", **visitor
    )
    answer = assert_contract(response, "sendAiVisitorMessage", status=200)["data"]
    deltas = []
    while (frame := sock.recv())["type"] != "ai.done":
        if frame["type"] == "ai.delta":
            deltas.append(frame)
        else:
            assert frame["type"] in ("ping", "conversation.created", "message.created"), frame
    return answer, deltas, frame


def test_stream_true_delivers_deltas_whose_concatenation_is_the_stored_reply(gateway, api_client, assert_contract):
    tenant = chat_tenant()
    answer, deltas, done = streamed(gateway, api_client, assert_contract, tenant, "vis_stream")
    assert answer["metadata"]["stream"] is True
    reply_id = answer["metadata"]["messageId"]
    assert len(deltas) > 1  # the extractive provider streams its passage a few words at a time
    assert [frame["seq"] for frame in deltas] == list(range(len(deltas)))
    assert {frame["messageId"] for frame in deltas} == {reply_id} == {done["messageId"]}
    stored = Message.objects.get(public_id=reply_id)
    assert "".join(frame["delta"] for frame in deltas) == stored.body == done["message"]["body"]
    assert "three to five business days" in stored.body
    assert AiConversation.objects.get(conversation=stored.conversation).reply_count == 1


def test_the_providers_streaming_api_is_streamed_and_metered_from_its_usage(
    gateway, api_client, assert_contract, provider
):
    chunks = ["[HAND", "OFF]", " Shipping", " takes three", " to five days.", "  "]
    events = [{"model": "gpt-test", "choices": [{"delta": {"content": piece}}]} for piece in chunks]
    events.append({"model": "gpt-test", "choices": [], "usage": {"prompt_tokens": 120, "completion_tokens": 9}})
    body = "".join(f"data: {json.dumps(event)}\n\n" for event in events) + "data: [DONE]\n\n"
    provider.routes["/v1/chat/completions"] = (200, {"Content-Type": "text/event-stream"}, body.encode())
    tenant = chat_tenant()
    fund_ai(tenant, 100, block_on_zero=True, overage_enabled=False)
    answer, deltas, done = streamed(gateway, api_client, assert_contract, tenant, "vis_sse")
    stored = Message.objects.get(public_id=answer["metadata"]["messageId"])
    assert stored.body == "Shipping takes three to five days."
    assert "".join(frame["delta"] for frame in deltas) == stored.body == done["message"]["body"]
    assert stored.metadata["handoffRecommended"] is True  # the marker was taken off the stream, as from a reply
    usage = AiUsageLog.objects.get(tenant=tenant)
    assert (usage.input_tokens, usage.output_tokens) == (120, 9)
