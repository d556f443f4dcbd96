"""topUpPlatformAiBalance / updatePlatformAiBalanceTenantSettings / getPlatformAiBalance."""

from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from apps.billing import selectors
from apps.billing.models import AiBalance, AiLedgerEntry, AiUsageKind
from apps.billing.services import ai_balance_adjust, ai_usage_record
from apps.billing.tests.factories import AiUsageLogFactory, fund_ai
from apps.plans.tests.factories import plan_with, subscribe
from apps.tenants.tests.factories import TenantFactory
from ringnity.api.errors import ApiError

pytestmark = pytest.mark.django_db


def top_up_url(tenant) -> str:
    return f"/api/platform/ai-balance/{tenant.public_id}/top-up"


def settings_url(tenant) -> str:
    return f"/api/platform/ai-balance/{tenant.public_id}/settings"


def ledger_sum(tenant) -> int:
    return AiLedgerEntry.objects.for_tenant(tenant).aggregate(s=Sum("amount_cents"))["s"] or 0


# --- top-up ------------------------------------------------------------------


def test_top_up_in_cents_returns_before_and_after(api_client, assert_contract, admin_headers, operator):
    tenant = TenantFactory()
    fund_ai(tenant, 250)
    response = api_client.post(top_up_url(tenant), {"amountCents": 5000, "notes": "Invoice 42"}, **admin_headers)
    body = assert_contract(response, "topUpPlatformAiBalance", status=200)
    assert body["data"] == {
        "clientId": tenant.public_id,
        "amountCents": 5000,
        "balanceBeforeCents": 250,
        "balanceAfterCents": 5250,
    }
    entry = AiLedgerEntry.objects.for_tenant(tenant).first()
    assert (entry.kind, entry.note, entry.created_by) == ("top_up", "Invoice 42", operator)
    assert AiBalance.objects.get(tenant=tenant).balance_cents == ledger_sum(tenant) == 5250


@pytest.mark.parametrize(("usd", "cents"), [(19.99, 1999), (0.01, 1), (50, 5000), (0.29, 29), (1234.57, 123457)])
def test_top_up_in_usd_converts_exactly(api_client, assert_contract, admin_headers, usd, cents):
    tenant = TenantFactory()
    response = api_client.post(top_up_url(tenant), {"amountUsd": usd}, **admin_headers)
    assert assert_contract(response, "topUpPlatformAiBalance", status=200)["data"]["amountCents"] == cents


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "amountCents"),
        ({"amountCents": 100, "amountUsd": 1}, "amountCents"),
        ({"amountCents": 0}, "amountCents"),
        ({"amountCents": -5}, "amountCents"),
        ({"amountUsd": 0}, "amountUsd"),
        ({"amountUsd": -1.5}, "amountUsd"),
        ({"amountUsd": 1.999}, "amountUsd"),
        ({"amountCents": "ten"}, "amountCents"),
        ({"amountCents": 100, "notes": "x" * 501}, "notes"),
    ],
)
def test_top_up_bad_amounts_are_400_and_add_nothing(api_client, assert_contract, admin_headers, payload, field):
    tenant = TenantFactory()
    body = assert_contract(api_client.post(top_up_url(tenant), payload, **admin_headers), "topUpPlatformAiBalance", 400)
    assert body["code"] == "VALIDATION_FAILED"
    assert any(d.startswith(f"{field}:") for d in body["details"]), body["details"]
    assert not AiLedgerEntry.objects.for_tenant(tenant).exists()


def test_top_up_unknown_tenant_is_404(api_client, assert_contract, admin_headers):
    response = api_client.post("/api/platform/ai-balance/ten_unknown/top-up", {"amountCents": 1}, **admin_headers)
    assert assert_contract(response, "topUpPlatformAiBalance", status=404)["code"] == "NOT_FOUND"


def test_top_up_repeated_idempotency_key_returns_the_first_result(api_client, assert_contract, admin_headers):
    tenant = TenantFactory()
    headers = {**admin_headers, "HTTP_IDEMPOTENCY_KEY": "topup-1"}
    first = assert_contract(
        api_client.post(top_up_url(tenant), {"amountCents": 700}, **headers), "topUpPlatformAiBalance"
    )
    api_client.post(top_up_url(tenant), {"amountCents": 100}, **admin_headers)  # another top-up in between
    again = assert_contract(
        api_client.post(top_up_url(tenant), {"amountCents": 700}, **headers), "topUpPlatformAiBalance"
    )
    assert again["data"] == first["data"]
    assert AiLedgerEntry.objects.for_tenant(tenant).count() == 2
    assert AiBalance.objects.get(tenant=tenant).balance_cents == 800


def test_top_up_idempotency_key_with_another_body_is_409(api_client, assert_contract, admin_headers):
    tenant = TenantFactory()
    headers = {**admin_headers, "HTTP_IDEMPOTENCY_KEY": "topup-2"}
    api_client.post(top_up_url(tenant), {"amountCents": 700}, **headers)
    response = api_client.post(top_up_url(tenant), {"amountCents": 900}, **headers)
    assert assert_contract(response, "topUpPlatformAiBalance", status=409)["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert ledger_sum(tenant) == 700


def test_idempotency_keys_are_per_tenant(api_client, admin_headers):
    first, second = TenantFactory(), TenantFactory()
    headers = {**admin_headers, "HTTP_IDEMPOTENCY_KEY": "same"}
    api_client.post(top_up_url(first), {"amountCents": 100}, **headers)
    api_client.post(top_up_url(second), {"amountCents": 100}, **headers)
    assert ledger_sum(first) == ledger_sum(second) == 100


def test_support_cannot_top_up(api_client, assert_contract, support_headers):
    tenant = TenantFactory()
    response = api_client.post(top_up_url(tenant), {"amountCents": 100}, **support_headers)
    assert assert_contract(response, "topUpPlatformAiBalance", status=403)["code"] == "PERMISSION_DENIED"
    assert not AiLedgerEntry.objects.exists()


# --- settings ----------------------------------------------------------------


def test_settings_update_is_partial(api_client, assert_contract, admin_headers):
    tenant = TenantFactory()
    payload = {
        "overageEnabled": True,
        "autoTopUpEnabled": True,
        "autoTopUpThresholdCents": 500,
        "autoTopUpAmountCents": 1,
    }
    response = api_client.put(settings_url(tenant), payload, **admin_headers)
    assert assert_contract(response, "updatePlatformAiBalanceTenantSettings", status=200)["data"] == {
        "clientId": tenant.public_id
    }
    api_client.put(settings_url(tenant), {"autoTopUpAmountCents": 2500}, **admin_headers)
    balance = AiBalance.objects.get(tenant=tenant)
    assert (balance.overage_enabled, balance.block_on_zero, balance.auto_top_up_enabled) == (True, True, True)
    assert (balance.auto_top_up_threshold_cents, balance.auto_top_up_amount_cents) == (500, 2500)
    assert balance.balance_cents == 0


def test_settings_bad_values_are_listed(api_client, assert_contract, admin_headers):
    tenant = TenantFactory()
    payload = {"autoTopUpThresholdCents": -1, "autoTopUpAmountCents": "x", "blockOnZero": "maybe"}
    body = assert_contract(
        api_client.put(settings_url(tenant), payload, **admin_headers), "updatePlatformAiBalanceTenantSettings", 400
    )
    assert {d.split(":")[0] for d in body["details"]} == set(payload)
    assert not AiBalance.objects.filter(tenant=tenant).exists()


def test_enabling_auto_top_up_needs_an_amount(api_client, assert_contract, admin_headers):
    tenant = TenantFactory()
    response = api_client.put(settings_url(tenant), {"autoTopUpEnabled": True}, **admin_headers)
    body = assert_contract(response, "updatePlatformAiBalanceTenantSettings", 400)
    assert body["details"] == ["autoTopUpAmountCents: must be positive while auto top-up is enabled."]
    assert not AiBalance.objects.filter(tenant=tenant, auto_top_up_enabled=True).exists()


def test_settings_unknown_tenant_is_404(api_client, assert_contract, admin_headers):
    response = api_client.put("/api/platform/ai-balance/ten_nope/settings", {"blockOnZero": False}, **admin_headers)
    assert_contract(response, "updatePlatformAiBalanceTenantSettings", status=404)


def test_support_cannot_change_settings(api_client, assert_contract, support_headers):
    response = api_client.put(settings_url(TenantFactory()), {"blockOnZero": False}, **support_headers)
    assert_contract(response, "updatePlatformAiBalanceTenantSettings", status=403)


# --- overview ----------------------------------------------------------------


def _tenant_with_usage(chat_replies: int, audio_seconds: int, balance: int, plan_slug: str = "pro"):
    tenant = TenantFactory()
    plan_with(slug=plan_slug, features={"ai_chat": True}, quotas={"ai_chat_replies": 2, "ai_voice_minutes": 1})
    from apps.plans.services import subscription_set

    subscription_set(tenant=tenant, plan_slug=plan_slug)
    fund_ai(tenant, balance)
    for _ in range(chat_replies):
        AiUsageLogFactory(tenant=tenant, internal_cost_micros=3500, retail_charge_micros=10500)
    if audio_seconds:
        AiUsageLogFactory(
            tenant=tenant, kind=AiUsageKind.VOICE, input_tokens=0, output_tokens=0, audio_seconds=audio_seconds
        )
    AiUsageLogFactory(tenant=tenant, created_at=timezone.now() - timedelta(days=40))  # last month: not counted
    return tenant


def test_overview_figures_for_one_tenant(api_client, assert_contract, admin_headers):
    tenant = _tenant_with_usage(chat_replies=5, audio_seconds=150, balance=5000)
    body = assert_contract(api_client.get("/api/platform/ai-balance", **admin_headers), "getPlatformAiBalance", 200)
    row = next(t for t in body["data"]["tenants"] if t["tenantId"] == tenant.public_id)
    assert row["planSlug"] == "pro"
    assert row["balanceCents"] == row["totalTopUpCents"] == 5000
    assert row["usage"]["chatReplies"] == 5
    assert row["usage"]["voiceMinutes"] == 3  # 150 s rounded up
    assert row["usage"]["audioSeconds"] == 150
    assert row["included"] == {"chatReplies": 2, "chatLabel": "2 replies", "voiceMinutes": 1, "voiceLabel": "1 minutes"}
    assert row["overage"]["chatReplies"] == 3
    assert row["overage"]["voiceMinutes"] == 2
    # 3 * 0.0105 + 2 * 0.1125 = 0.2565 USD -> 26 cents
    assert row["overage"]["estimatedOverageChargeCents"] == 26
    assert row["overage"]["estimatedRetailChargeCents"] == 5  # 5 * 10500 micro-USD = 5.25 cents
    assert row["alertLevel"] == "ok"
    summary = body["data"]["summary"]
    assert summary["totalTenants"] == 1
    assert summary["totalChatReplies"] == 5
    assert body["data"]["pricing"]["derived"]["grossMarginPercent"] == 66.7


@pytest.mark.parametrize(
    ("balance", "level"), [(0, "empty"), (250, "critical"), (251, "low"), (1000, "low"), (1001, "ok")]
)
def test_overview_alert_levels_follow_the_documented_thresholds(api_client, admin_headers, balance, level):
    _tenant_with_usage(chat_replies=0, audio_seconds=0, balance=balance)
    data = api_client.get("/api/platform/ai-balance", **admin_headers).json()["data"]
    assert data["tenants"][0]["alertLevel"] == level
    counts = {k: data["summary"][f"{k}Count"] for k in ("empty", "critical", "low")}
    assert sum(counts.values()) == (0 if level == "ok" else 1)


def test_overview_tenant_without_plan_or_balance(api_client, assert_contract, admin_headers):
    TenantFactory()
    body = assert_contract(api_client.get("/api/platform/ai-balance", **admin_headers), "getPlatformAiBalance", 200)
    row = body["data"]["tenants"][0]
    assert (row["planSlug"], row["planId"], row["balanceCents"], row["alertLevel"]) == ("", None, 0, "empty")
    assert row["included"]["chatLabel"] == "Not included"


def test_overview_query_count_does_not_grow_with_tenants(api_client, admin_headers, django_assert_num_queries):
    _tenant_with_usage(chat_replies=1, audio_seconds=60, balance=100)
    api_client.get("/api/platform/ai-balance", **admin_headers)  # warm the auth path
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        api_client.get("/api/platform/ai-balance", **admin_headers)
    for n in range(6):
        _tenant_with_usage(chat_replies=n, audio_seconds=30 * n, balance=100 * n, plan_slug=f"p{n % 2}")
    with CaptureQueriesContext(connection) as seven:
        response = api_client.get("/api/platform/ai-balance", **admin_headers)
    assert len(response.json()["data"]["tenants"]) == 7
    assert len(seven) == len(one)


def test_overview_selector_alone_is_six_queries(django_assert_num_queries):
    for n in range(3):
        _tenant_with_usage(chat_replies=n, audio_seconds=0, balance=10)
    with django_assert_num_queries(6):
        selectors.ai_balance_overview_cross_tenant()


def test_support_can_read_the_overview(api_client, assert_contract, support_headers):
    assert_contract(api_client.get("/api/platform/ai-balance", **support_headers), "getPlatformAiBalance", status=200)


# --- metering ------------------------------------------------------------------


def test_usage_within_included_quota_is_free_and_overage_is_debited_exactly():
    tenant = TenantFactory()
    subscribe(tenant, features={"ai_chat": True}, quotas={"ai_chat_replies": 1})
    fund_ai(tenant, 100)
    first = ai_usage_record(tenant=tenant, kind="chat_reply", input_tokens=3000, output_tokens=1000)
    assert first.included
    assert first.billed_cents == 0
    # each overage reply costs 10,500 micro-USD retail = 1.05 cents; the fraction carries over
    billed = [
        ai_usage_record(tenant=tenant, kind="chat_reply", input_tokens=3000, output_tokens=1000).billed_cents
        for _ in range(20)
    ]
    assert sum(billed) == 21  # 20 * 1.05
    assert AiBalance.objects.get(tenant=tenant).balance_cents == ledger_sum(tenant) == 79


def test_an_operator_adjustment_is_a_signed_ledger_row_and_needs_a_note():
    tenant = TenantFactory()
    fund_ai(tenant, 1000)
    change = ai_balance_adjust(tenant=tenant, amount_cents=-250, note="refund of a duplicate charge")
    assert (change.balance_before_cents, change.balance_after_cents) == (1000, 750)
    with pytest.raises(ApiError) as excinfo:
        ai_balance_adjust(tenant=tenant, amount_cents=0, note=" ")
    assert excinfo.value.details == [
        "amountCents: must be a non-zero whole number of cents.",
        "note: required for an adjustment.",
    ]
    kinds = list(AiLedgerEntry.objects.for_tenant(tenant).order_by("id").values_list("kind", "amount_cents"))
    assert kinds == [("top_up", 1000), ("adjustment", -250)]
