"""AI over the gateway, against a real uvicorn process and a fake OpenAI-compatible provider on loopback:
a visitor's hangup ends (and meters) its server-side AI voice session."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.ai import services
from apps.ai.models import AiVoiceSession, RoutingMode
from apps.ai.tests.conftest import _Server as FakeProvider
from apps.ai.tests.factories import ai_tenant, visitor_headers
from apps.billing.models import AiUsageLog
from apps.billing.services import ai_pricing_update
from apps.billing.tests.factories import fund_ai
from apps.plans import entitlements
from apps.plans.models import PlanFeature

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
