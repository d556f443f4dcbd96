"""The AI balance never goes below zero with block-on-zero (issue 22, finding 3), and replies count exactly.

The probe: Starter-like plan with 2 included replies, block-on-zero, a 5¢ balance, a provider on loopback
that reports 27¢ of usage per reply, 10 visitors at once. Before the fix 6 replies were served and the
ledger went 5 → -22 → -49 → -76 → -103¢: the pre-call check was unlocked and admitted replies the balance
could not pay for.
"""

from decimal import Decimal

import pytest
from django.db.models import Sum
from rest_framework.test import APIClient

from apps.ai import services
from apps.ai.models import AiConversation, RoutingMode
from apps.ai.tests.conftest import chat_completion
from apps.ai.tests.factories import ai_tenant, indexed_document, visitor_headers
from apps.billing.models import AiBalance, AiHold, AiLedgerEntry, AiUsageLog
from apps.billing.services import ai_balance_top_up, ai_pricing_update
from apps.billing.tests.factories import fund_ai
from apps.chat.models import Visitor
from ringnity.testing.ci import require_postgresql
from ringnity.testing.concurrency import run_parallel

CHAT = "/api/ai/visitor/chat"
#: 4,500 prompt tokens at 10 USD/1M + 3,000 completion tokens at 30 USD/1M = 0.135 USD, markup 2 = 27¢.
PRICING = {
    "input_cost_per_1m_usd": Decimal("10"),
    "cached_input_cost_per_1m_usd": Decimal("5"),
    "output_cost_per_1m_usd": Decimal("30"),
    "risk_buffer_percent": Decimal("0"),
    "markup_multiplier": Decimal("2"),
    "max_output_tokens": 3000,
    "daily_spend_limit_cents": 0,
    "monthly_spend_limit_cents": 0,
}
REPLY_27_CENTS = chat_completion("Shipping takes three to five days.", 4500, 3000)


def _tenant(included_replies: int):
    tenant = ai_tenant(quotas={"knowledge_documents": 5, "ai_chat_replies": included_replies})
    services.routing_mode_set(tenant=tenant, mode=RoutingMode.AI_FIRST)
    indexed_document(tenant, "shipping.txt", "Standard shipping takes three to five business days within Europe.")
    ai_pricing_update(changes=PRICING)
    return tenant


def _ledger_sum(tenant) -> int:
    return AiLedgerEntry.objects.filter(tenant=tenant).aggregate(total=Sum("amount_cents"))["total"] or 0


def _ask(tenant, subject: str, message: str = "How long does shipping take?"):
    return APIClient().post(CHAT, {"message": message}, format="json", **visitor_headers(tenant, subject=subject))


@pytest.mark.django_db(transaction=True)
def test_ten_parallel_visitors_never_take_the_balance_below_zero(fake_provider):
    require_postgresql()
    tenant = _tenant(included_replies=2)
    fund_ai(tenant, 5, block_on_zero=True, overage_enabled=False)
    fake_provider.routes["/v1/chat/completions"] = (200, {"Content-Type": "application/json"}, REPLY_27_CENTS)

    run = run_parallel(lambda i: _ask(tenant, f"vis_probe_{i}"), 10)

    assert run.errors == []
    statuses = sorted(response.status_code for response in run.results)
    codes = sorted(response.json().get("code", "") for response in run.results if response.status_code != 200)
    balance = AiBalance.objects.get(tenant=tenant).balance_cents
    assert balance >= 0
    assert balance == _ledger_sum(tenant)
    # The two included replies are free; a third would need a hold of at least 18¢ (3,000 output tokens).
    assert statuses == [200, 200] + [402] * 8
    assert codes == ["AI_BALANCE_EMPTY"] * 8
    assert balance == 5
    assert list(AiUsageLog.objects.filter(tenant=tenant).values_list("included", flat=True)) == [True, True]
    assert len(fake_provider.requests) == 2
    assert not AiHold.objects.filter(tenant=tenant, status="open").exists()


@pytest.mark.django_db(transaction=True)
def test_parallel_overage_replies_settle_real_costs_and_stop_at_zero(fake_provider):
    """Holds that fit the balance are admitted; a real cost above its hold is debited down to 0, the rest carried."""
    require_postgresql()
    tenant = _tenant(included_replies=0)
    fund_ai(tenant, 100, block_on_zero=True, overage_enabled=False)
    fake_provider.routes["/v1/chat/completions"] = (200, {"Content-Type": "application/json"}, REPLY_27_CENTS)

    run = run_parallel(lambda i: _ask(tenant, f"vis_over_{i}"), 10)

    assert run.errors == []
    served = [r for r in run.results if r.status_code == 200]
    assert {r.status_code for r in run.results} <= {200, 402}
    balance = AiBalance.objects.get(tenant=tenant)
    assert balance.balance_cents >= 0
    assert balance.balance_cents == _ledger_sum(tenant)
    logs = AiUsageLog.objects.filter(tenant=tenant)
    assert logs.count() == len(served) >= 3
    billed = logs.aggregate(total=Sum("billed_cents"))["total"]
    # Every micro-dollar of real usage is either debited or carried: nothing lost, nothing invented.
    assert billed * 10_000 + balance.unbilled_usage_micros == len(served) * 270_000
    assert 100 - balance.balance_cents == billed
    assert not AiHold.objects.filter(tenant=tenant, status="open").exists()


@pytest.mark.django_db
def test_a_reply_costing_more_than_its_hold_empties_the_balance_and_carries_the_rest(fake_provider):
    tenant = _tenant(included_replies=0)
    fund_ai(tenant, 20, block_on_zero=True, overage_enabled=False)
    fake_provider.routes["/v1/chat/completions"] = (200, {"Content-Type": "application/json"}, REPLY_27_CENTS)
    assert _ask(tenant, "vis_carry").status_code == 200  # the hold (~19¢) fitted; the reply cost 27¢
    balance = AiBalance.objects.get(tenant=tenant)
    assert (balance.balance_cents, balance.unbilled_usage_micros) == (0, 70_000)
    assert _ledger_sum(tenant) == 0
    refused = _ask(tenant, "vis_carry", "And to the US?")
    assert (refused.status_code, refused.json()["code"]) == (402, "AI_BALANCE_EMPTY")
    assert len(fake_provider.requests) == 1

    ai_balance_top_up(tenant=tenant, amount_cents=100)
    assert _ask(tenant, "vis_carry", "And to the US?").status_code == 200
    balance.refresh_from_db()
    assert (balance.balance_cents, balance.unbilled_usage_micros) == (100 - 27 - 7, 0)
    assert balance.balance_cents == _ledger_sum(tenant)


@pytest.mark.django_db
def test_a_failed_provider_call_releases_its_hold(fake_provider):
    tenant = _tenant(included_replies=0)
    fund_ai(tenant, 50, block_on_zero=True, overage_enabled=False)
    fake_provider.routes["/v1/chat/completions"] = (503, {"Content-Type": "application/json"}, b"{}")
    data = _ask(tenant, "vis_fail").json()["data"]
    assert data["metadata"]["error"] is True
    hold = AiHold.objects.get(tenant=tenant)
    assert (hold.status, hold.usage_log_id) == ("released", None)
    assert AiBalance.objects.get(tenant=tenant).balance_cents == 50 == _ledger_sum(tenant)
    assert not AiUsageLog.objects.filter(tenant=tenant).exists()


@pytest.mark.django_db(transaction=True)
def test_parallel_replies_in_one_conversation_count_every_reply(fake_provider):
    """``reply_count`` is incremented in SQL (``F() + 1``): N parallel replies count N."""
    require_postgresql()
    tenant = _tenant(included_replies=100)
    fake_provider.routes["/v1/chat/completions"] = (
        200,
        {"Content-Type": "application/json"},
        chat_completion("ok", 10, 5),
    )
    first = _ask(tenant, "vis_count")
    ai_id = first.json()["data"]["aiConversationId"]
    visitor = Visitor.objects.get(tenant=tenant, subject="vis_count")
    workers = 8

    run = run_parallel(
        lambda i: services.ai_chat_send(visitor=visitor, message=f"question {i}", ai_conversation_id=ai_id), workers
    )

    assert run.errors == []
    assert run.refused == []
    assert AiConversation.objects.get(public_id=ai_id).reply_count == 1 + workers
