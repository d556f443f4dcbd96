"""AI voice minutes are billed (issue 18): a server-side session per SDP exchange, ended once, never billed 0."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from apps.ai import services, tasks, voice_services
from apps.ai.models import AiVoiceSession, RoutingMode
from apps.ai.tests.factories import ai_tenant, visitor_headers
from apps.billing.models import AiBalance, AiHold, AiLedgerEntry, AiUsageLog
from apps.billing.services import ai_pricing_update
from apps.billing.tests.factories import fund_ai
from apps.chat.models import Conversation, Visitor
from apps.plans import entitlements
from apps.plans.models import PlanFeature
from apps.plans.tests.factories import subscribe
from ringnity.testing.ci import require_postgresql
from ringnity.testing.concurrency import run_parallel

REALTIME = "/api/ai/visitor/realtime/call"
SDP_OFFER = "v=0\r\no=- 46117317 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
SDP_ANSWER = "v=0\r\no=- 7734112 2 IN IP4 127.0.0.1\r\ns=provider\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
#: 6¢ a minute retail (3¢ cost, no buffer, markup 2), billed in whole minutes.
PRICING = {
    "voice_model": "gpt-test-realtime",
    "voice_cost_per_minute_usd": Decimal("0.03"),
    "risk_buffer_percent": Decimal("0"),
    "markup_multiplier": Decimal("2"),
    "voice_unit_seconds": 60,
    "daily_spend_limit_cents": 0,
    "monthly_spend_limit_cents": 0,
}


def _tenant(included_minutes, max_call_minutes=10):
    tenant = ai_tenant()
    subscribe(
        tenant,
        features={"chat": True, "ai_voice": True},
        quotas={"ai_voice_minutes": included_minutes, "ai_chat_replies": 0, "contacts": "unlimited"},
    )
    PlanFeature.objects.filter(plan__subscriptions__tenant=tenant, feature__key="ai_voice").update(
        config={"maxCallMinutes": max_call_minutes}
    )
    entitlements.invalidate()
    services.routing_mode_set(tenant=tenant, mode=RoutingMode.AI_FIRST)
    ai_pricing_update(changes=PRICING)
    return tenant


@pytest.fixture
def realtime(fake_provider):
    fake_provider.routes["/v1/realtime"] = (200, {"Content-Type": "application/sdp"}, SDP_ANSWER.encode())
    return fake_provider


def _call(api_client, tenant, subject="vis_voice"):
    return api_client.post(REALTIME, SDP_OFFER, content_type="application/sdp", **visitor_headers(tenant, subject))


def _end(api_client, tenant, session_id, subject="vis_voice"):
    url = f"/api/ai/visitor/realtime/calls/{session_id}/end"
    return api_client.post(url, format="json", **visitor_headers(tenant, subject))


@pytest.fixture
def clock(monkeypatch):
    """The voice sessions' clock, moved by hand: ``clock.advance(seconds)``."""

    class Clock:
        now = timezone.now()

        def advance(self, seconds):
            self.now += timedelta(seconds=seconds)

    fixed = Clock()
    monkeypatch.setattr(voice_services, "_now", lambda: fixed.now)
    return fixed


def _ledger_sum(tenant):
    return AiLedgerEntry.objects.filter(tenant=tenant).aggregate(t=Sum("amount_cents"))["t"] or 0


@pytest.mark.django_db
def test_the_sdp_exchange_records_a_session_and_an_explicit_end_meters_it_once(
    api_client, assert_contract, realtime, clock
):
    tenant = _tenant(included_minutes=0)
    fund_ai(tenant, 100, block_on_zero=True, overage_enabled=False)
    response = _call(api_client, tenant)
    assert_contract(response, "createAiVisitorRealtimeCall", status=200)
    assert response.content.decode() == SDP_ANSWER
    session = AiVoiceSession.objects.get(public_id=response["X-Ringnity-Ai-Voice-Session"])
    assert response["X-Ringnity-Ai-Voice-Max-Seconds"] == "600"
    assert (session.provider_session_id, session.max_seconds, session.ended_at) == ("7734112", 600, None)
    assert session.visitor.subject == "vis_voice"
    assert session.conversation.channel == "ai"
    assert session.hold.held_cents == 60  # ten minutes at 6¢, set aside before the provider was called

    clock.advance(125)
    ended = assert_contract(_end(api_client, tenant, session.public_id), "endAiVisitorRealtimeCall", status=200)
    data = ended["data"]
    assert (data["status"], data["endReason"], data["durationSeconds"], data["billedSeconds"]) == (
        "ended",
        "ended",
        125,
        125,
    )
    again = assert_contract(_end(api_client, tenant, session.public_id), "endAiVisitorRealtimeCall", status=200)
    assert again["data"] == data
    log = AiUsageLog.objects.get(tenant=tenant)
    assert (log.kind, log.audio_seconds, log.model, log.billed_cents) == ("voice", 125, "gpt-test-realtime", 18)
    assert log.reference == session.public_id
    assert AiBalance.objects.get(tenant=tenant).balance_cents == 82 == _ledger_sum(tenant)  # 3 minutes at 6¢
    assert entitlements.for_tenant(tenant).usage("ai_voice_minutes") == 3
    assert AiHold.objects.get(tenant=tenant).status == "settled"


@pytest.mark.django_db
def test_a_call_that_reached_the_provider_is_never_billed_zero(api_client, realtime, clock):
    tenant = _tenant(included_minutes=0)
    fund_ai(tenant, 100, block_on_zero=True, overage_enabled=False)
    session_id = _call(api_client, tenant)["X-Ringnity-Ai-Voice-Session"]
    data = _end(api_client, tenant, session_id).json()["data"]
    assert data["durationSeconds"] == 0
    assert data["billedSeconds"] == 60  # one voiceUnitSeconds unit
    assert AiUsageLog.objects.get(tenant=tenant).billed_cents == 6


@pytest.mark.django_db
def test_included_minutes_are_free_and_the_rest_is_billed(api_client, realtime, clock):
    tenant = _tenant(included_minutes=2)
    fund_ai(tenant, 100, block_on_zero=True, overage_enabled=False)
    session = AiVoiceSession.objects.get(public_id=_call(api_client, tenant)["X-Ringnity-Ai-Voice-Session"])
    assert (session.hold.included_units, session.hold.held_cents) == (2, 48)
    clock.advance(200)  # 3 min 20 s: 2 included, 1 min 20 s billed as 2 units
    _end(api_client, tenant, session.public_id)
    log = AiUsageLog.objects.get(tenant=tenant)
    assert (log.included, log.billed_cents) == (False, 12)


@pytest.mark.django_db
def test_a_session_past_its_cap_is_ended_and_billed_exactly_the_cap(api_client, realtime, clock):
    tenant = _tenant(included_minutes=0, max_call_minutes=3)
    fund_ai(tenant, 100, block_on_zero=True, overage_enabled=False)
    session = AiVoiceSession.objects.get(public_id=_call(api_client, tenant)["X-Ringnity-Ai-Voice-Session"])
    assert tasks.end_voice_session_at_cap(session.public_id) == "not due"
    clock.advance(3 * 60 + 500)  # the countdown was lost; the visitor never hung up
    assert tasks.end_overdue_voice_sessions() == 1
    session.refresh_from_db()
    assert (session.end_reason, session.duration_seconds, session.billed_seconds) == ("cap", 180, 180)
    assert session.ended_at == session.ends_at
    assert AiUsageLog.objects.get(tenant=tenant).billed_cents == 18
    assert tasks.end_overdue_voice_sessions() == 0
    assert tasks.end_voice_session_at_cap(session.public_id) == "cap"


@pytest.mark.django_db
def test_the_cap_shrinks_to_what_the_balance_pays_for(api_client, realtime):
    tenant = _tenant(included_minutes=0, max_call_minutes=30)
    fund_ai(tenant, 20, block_on_zero=True, overage_enabled=False)
    response = _call(api_client, tenant)
    assert response["X-Ringnity-Ai-Voice-Max-Seconds"] == "180"  # 20¢ pays for 3 minutes at 6¢


@pytest.mark.django_db
def test_block_on_zero_and_spend_limits_refuse_before_the_provider(api_client, assert_contract, realtime):
    tenant = _tenant(included_minutes=0)
    fund_ai(tenant, 5, block_on_zero=True, overage_enabled=False)  # less than one minute
    body = assert_contract(_call(api_client, tenant), "createAiVisitorRealtimeCall", status=402)
    assert body["code"] == "AI_BALANCE_EMPTY"
    fund_ai(tenant, 100)
    ai_pricing_update(changes={"daily_spend_limit_cents": 4})
    body = assert_contract(_call(api_client, tenant), "createAiVisitorRealtimeCall", status=429)
    assert body["code"] == "AI_SPEND_LIMIT_REACHED"
    assert realtime.requests == []
    assert not AiVoiceSession.objects.exists()
    assert not AiHold.objects.filter(status="open").exists()
    assert not Conversation.objects.filter(tenant=tenant).exists()  # a refused call opens no conversation


@pytest.mark.django_db
def test_a_provider_failure_releases_the_hold(api_client, assert_contract, fake_provider):
    tenant = _tenant(included_minutes=0)
    fund_ai(tenant, 100, block_on_zero=True, overage_enabled=False)
    fake_provider.routes["/v1/realtime"] = (500, {"Content-Type": "text/plain"}, b"down")
    body = assert_contract(_call(api_client, tenant), "createAiVisitorRealtimeCall", status=503)
    assert body["code"] == "AI_NOT_READY"
    assert AiHold.objects.get(tenant=tenant).status == "released"
    assert not AiVoiceSession.objects.exists()


@pytest.mark.django_db
def test_another_visitors_session_cannot_be_ended(api_client, assert_contract, realtime):
    tenant = _tenant(included_minutes=5)
    session_id = _call(api_client, tenant)["X-Ringnity-Ai-Voice-Session"]
    body = assert_contract(_end(api_client, tenant, session_id, "vis_other"), "endAiVisitorRealtimeCall", 404)
    assert body["code"] == "NOT_FOUND"
    other = ai_tenant()
    assert _end(api_client, other, session_id).status_code == 404
    assert AiVoiceSession.objects.get(public_id=session_id).ended_at is None


@pytest.mark.django_db(transaction=True)
def test_parallel_ends_meter_once(realtime, clock):
    require_postgresql()
    tenant = _tenant(included_minutes=0)
    fund_ai(tenant, 100, block_on_zero=True, overage_enabled=False)
    visitor = Visitor.objects.create(tenant=tenant, subject="vis_parallel")
    session, _ = voice_services.voice_session_start(visitor=visitor, sdp_offer=SDP_OFFER)
    clock.advance(90)

    run = run_parallel(
        lambda i: voice_services.voice_session_end(session_id=session.public_id, reason="ended").billed_seconds, 8
    )

    assert run.errors == []
    assert run.results == [90] * 8
    assert AiUsageLog.objects.filter(tenant=tenant).count() == 1
    assert list(
        AiLedgerEntry.objects.filter(tenant=tenant, kind="usage_debit").values_list("amount_cents", flat=True)
    ) == [-12]
    assert AiBalance.objects.get(tenant=tenant).balance_cents == 88 == _ledger_sum(tenant)
