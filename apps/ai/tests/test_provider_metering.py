"""The OpenAI-compatible provider against a fake provider server on loopback, and exact metering."""

import json
from decimal import Decimal

import pytest

from apps.ai import services
from apps.ai.models import RoutingMode
from apps.ai.tests.conftest import chat_completion
from apps.ai.tests.factories import ai_tenant, indexed_document, visitor_headers
from apps.billing.models import AiBalance, AiLedgerEntry, AiUsageLog
from apps.billing.services import ai_pricing_update, ai_usage_record
from apps.billing.tests.factories import fund_ai
from apps.chat.models import Message
from ringnity.testing.contract import assert_contract as checked

pytestmark = pytest.mark.django_db

CHAT = "/api/ai/visitor/chat"
REALTIME = "/api/ai/visitor/realtime/call"
SDP_OFFER = "v=0\r\no=- 46117317 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
SDP_ANSWER = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=provider\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
#: Prices chosen so every figure is exact: 10 / 5 (cached) / 30 USD per 1M tokens, no buffer, markup 2.
PRICING = {
    "chat_model": "gpt-test-mini",
    "voice_model": "gpt-test-realtime",
    "input_cost_per_1m_usd": Decimal("10"),
    "cached_input_cost_per_1m_usd": Decimal("5"),
    "output_cost_per_1m_usd": Decimal("30"),
    "risk_buffer_percent": Decimal("0"),
    "markup_multiplier": Decimal("2"),
    "max_output_tokens": 321,
    "max_context_messages": 3,
    "max_knowledge_chunks": 2,
    "max_retries": 1,
}


@pytest.fixture
def tenant():
    tenant = ai_tenant(quotas={"knowledge_documents": 5, "ai_chat_replies": 1, "ai_voice_minutes": 10})
    services.routing_mode_set(tenant=tenant, mode=RoutingMode.AI_FIRST)
    indexed_document(tenant, "shipping.txt", "Standard shipping takes three to five business days within Europe.")
    ai_pricing_update(changes=PRICING)
    return tenant


def script(server, *answers):
    """The fake provider answers each /chat/completions call with the next scripted completion."""
    queue = list(answers)
    server.routes["/v1/chat/completions"] = lambda body: (200, {"Content-Type": "application/json"}, queue.pop(0))


def send(client, tenant, message, **extra):
    response = client.post(CHAT, {"message": message, **extra}, format="json", **visitor_headers(tenant))
    checked(response, "sendAiVisitorMessage")
    return response


def test_a_scripted_conversation_meters_exact_usage_and_ledger_debits(
    api_client, assert_contract, tenant, fake_provider
):
    fund_ai(tenant, 100, block_on_zero=True, overage_enabled=False)
    script(
        fake_provider,
        chat_completion("Shipping takes 3-5 days [shipping.txt].", 1000, 500, cached=200),
        chat_completion("Yes, within Europe.", 2000, 1000),
        chat_completion("You are welcome.", 1000, 500, cached=200),
    )
    first = assert_contract(send(api_client, tenant, "How long does shipping take?"), "sendAiVisitorMessage", 200)
    ai_id = first["data"]["aiConversationId"]
    assert first["data"]["message"] == "Shipping takes 3-5 days [shipping.txt]."
    assert first["data"]["metadata"]["provider"] == "openai-compatible"
    assert first["data"]["metadata"]["model"] == "gpt-test-mini"
    send(api_client, tenant, "Is that within Europe?", aiConversationId=ai_id)
    send(api_client, tenant, "Thanks!", aiConversationId=ai_id)

    logs = list(AiUsageLog.objects.order_by("id"))
    # internal micros = (uncached*10 + cached*5 + output*30) / 1M USD; retail = internal * 2.
    assert [(g.input_tokens, g.cached_input_tokens, g.output_tokens) for g in logs] == [
        (800, 200, 500),
        (2000, 0, 1000),
        (800, 200, 500),
    ]
    assert [(g.internal_cost_micros, g.retail_charge_micros) for g in logs] == [
        (24000, 48000),
        (50000, 100000),
        (24000, 48000),
    ]
    assert [(g.included, g.billed_cents) for g in logs] == [(True, 0), (False, 10), (False, 4)]
    assert {g.reference for g in logs} == {ai_id}
    ledger = list(AiLedgerEntry.objects.filter(tenant=tenant).order_by("id").values_list("kind", "amount_cents"))
    assert ledger == [("top_up", 100), ("usage_debit", -10), ("usage_debit", -4)]
    balance = AiBalance.objects.get(tenant=tenant)
    assert (balance.balance_cents, balance.unbilled_usage_micros) == (86, 8000)
    assert Message.objects.filter(sender_type="ai").count() == 3


def test_the_provider_gets_the_guardrails_the_model_and_the_knowledge(tenant, api_client, fake_provider):
    fund_ai(tenant, 1000)
    script(fake_provider, *[chat_completion(f"answer {n}", 10, 5) for n in range(3)])
    ai_id = send(api_client, tenant, "How long does shipping take?").json()["data"]["aiConversationId"]
    send(api_client, tenant, "second question", aiConversationId=ai_id)
    send(api_client, tenant, "third question", aiConversationId=ai_id)
    request = fake_provider.requests[-1]
    assert request["headers"]["Authorization"] == "Bearer sk-test-fake"
    payload = json.loads(request["body"])
    assert (payload["model"], payload["max_tokens"]) == ("gpt-test-mini", 321)
    history = payload["messages"][1:]
    assert len(history) == 3  # maxContextMessages: the last three of five stored messages
    assert history[-1] == {"role": "user", "content": "third question"}
    first = json.loads(fake_provider.requests[0]["body"])
    assert "three to five business days" in first["messages"][0]["content"]


def test_a_handoff_marker_from_the_model_queues_the_conversation(tenant, api_client, fake_provider):
    script(fake_provider, chat_completion("[HANDOFF] A colleague will help you with that.", 100, 20))
    data = send(api_client, tenant, "Can you fix my order?").json()["data"]
    assert data["handoffRecommended"] is True
    assert data["message"] == "A colleague will help you with that."


def test_blocked_balance_is_402_and_the_provider_is_not_called(api_client, assert_contract, tenant, fake_provider):
    script(fake_provider, chat_completion("first", 100, 50), chat_completion("never", 1, 1))
    send(api_client, tenant, "How long does shipping take?")  # uses the one included reply
    fund_ai(tenant, 0, block_on_zero=True, overage_enabled=False)
    calls_before = len(fake_provider.requests)
    body = assert_contract(send(api_client, tenant, "And to the US?"), "sendAiVisitorMessage", status=402)
    assert body["code"] == "AI_BALANCE_EMPTY"
    assert len(fake_provider.requests) == calls_before == 1
    assert AiUsageLog.objects.count() == 1
    assert not Message.objects.filter(body="And to the US?").exists()


def test_the_daily_spend_limit_stops_replies_before_the_provider(api_client, assert_contract, tenant, fake_provider):
    ai_pricing_update(changes={"daily_spend_limit_cents": 5})
    fund_ai(tenant, 1000, block_on_zero=True)
    AiUsageLog.objects.create(tenant=tenant, kind="chat_reply", billed_cents=5, included=False)
    body = assert_contract(send(api_client, tenant, "How long does shipping take?"), "sendAiVisitorMessage", 429)
    assert body["code"] == "AI_SPEND_LIMIT_REACHED"
    assert fake_provider.requests == []


def test_a_failing_provider_is_retried_then_the_visitor_is_handed_off(tenant, api_client, fake_provider):
    fake_provider.routes["/v1/chat/completions"] = (503, {"Content-Type": "application/json"}, b"{}")
    data = send(api_client, tenant, "How long does shipping take?").json()["data"]
    assert len(fake_provider.requests) == 2  # maxRetries = 1
    assert data["handoffRecommended"] is True
    assert data["metadata"]["error"] is True
    assert not AiUsageLog.objects.exists()


def test_realtime_call_exchanges_sdp_with_the_provider(api_client, assert_contract, tenant, fake_provider):
    fund_ai(tenant, 1000)  # the first call holds every included minute for its cap
    fake_provider.routes["/v1/realtime"] = (200, {"Content-Type": "application/sdp"}, SDP_ANSWER.encode())
    response = api_client.post(REALTIME, SDP_OFFER, content_type="application/sdp", **visitor_headers(tenant))
    assert_contract(response, "createAiVisitorRealtimeCall", status=200)
    assert response["Content-Type"].startswith("application/sdp")
    assert response.content.decode() == SDP_ANSWER
    request = fake_provider.requests[0]
    assert request["path"] == "/v1/realtime?model=gpt-test-realtime"
    assert request["body"].decode() == SDP_OFFER
    text = api_client.post(REALTIME, SDP_OFFER, content_type="text/plain", **visitor_headers(tenant))
    assert text["Content-Type"].startswith("text/plain")


def test_realtime_call_without_a_realtime_provider_is_503(api_client, assert_contract, tenant):
    response = api_client.post(REALTIME, SDP_OFFER, content_type="application/sdp", **visitor_headers(tenant))
    body = assert_contract(response, "createAiVisitorRealtimeCall", status=503)
    assert body["code"] == "AI_NOT_READY"
    assert response["Content-Type"] == "application/json"


def test_realtime_call_bodies_are_checked(api_client, assert_contract, tenant, fake_provider):
    headers = visitor_headers(tenant)
    too_big = "v=0\r\n" + "a=x\r\n" * 8000
    response = api_client.post(REALTIME, too_big, content_type="application/sdp", **headers)
    assert assert_contract(response, "createAiVisitorRealtimeCall", status=413)["code"] == "PAYLOAD_TOO_LARGE"
    response = api_client.post(REALTIME, "hello", content_type="application/sdp", **headers)
    assert assert_contract(response, "createAiVisitorRealtimeCall", status=400)["code"] == "VALIDATION_FAILED"
    response = api_client.post(REALTIME, {"sdp": SDP_OFFER}, format="json", **headers)
    assert assert_contract(response, "createAiVisitorRealtimeCall", status=415)["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert fake_provider.requests == []


def test_voice_seconds_are_metered_in_whole_units(tenant):
    ai_pricing_update(changes={"voice_unit_seconds": 60, "voice_cost_per_minute_usd": Decimal("0.06")})
    log = ai_usage_record(tenant=tenant, kind="voice", audio_seconds=61, model="gpt-test-realtime", reference="call_1")
    # 61 s = two 60-second units = 2 minutes * 0.06 USD = 0.12 USD internal, markup 2 → 0.24 USD retail.
    assert (log.kind, log.audio_seconds, log.internal_cost_micros, log.retail_charge_micros) == (
        "voice",
        61,
        120000,
        240000,
    )
