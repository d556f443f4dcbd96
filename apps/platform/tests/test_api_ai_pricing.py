"""getPlatformAiPricing / updatePlatformAiPricing, and the pricing formulas with worked numbers."""

from decimal import Decimal

import pytest

from apps.billing import pricing
from apps.billing.models import AiPricing

pytestmark = pytest.mark.django_db
URL = "/api/platform/ai-pricing"


def test_derived_figures_with_the_contract_example_values():
    row = AiPricing()  # defaults = the contract's example values
    assert pricing.derived(row) == {
        "internalReplyUsd": 0.0035,
        "retailReplyUsd": 0.0105,
        "retailPer1000RepliesUsd": 10.5,
        "internalVoiceMinuteUsd": 0.0375,
        "retailVoiceMinuteUsd": 0.1125,
        "grossMarginPercent": 66.7,
    }


@pytest.mark.parametrize(("markup", "margin"), [("1.1", 9.1), ("2", 50.0), ("4", 75.0), ("2.5", 60.0)])
def test_gross_margin_depends_only_on_markup(markup, margin):
    assert (
        pricing.derived(AiPricing(markup_multiplier=Decimal(markup), risk_buffer_percent=0))["grossMarginPercent"]
        == margin
    )


def test_event_cost_uses_real_tokens_cached_tokens_and_voice_units():
    row = AiPricing()
    # (1000*0.4 + 2000*0.1 + 500*1.6)/1e6 = 0.0014 USD * 1.25 = 0.00175 USD = 1750 micro-USD; retail x3
    assert pricing.event_cost_micros(row, input_tokens=1000, cached_input_tokens=2000, output_tokens=500) == (
        1750,
        5250,
    )
    # 61 s -> two 60 s units = 2 min * 0.03 * 1.25 = 0.075 USD
    assert pricing.event_cost_micros(row, audio_seconds=61) == (75_000, 225_000)
    assert pricing.micros_to_cents(5250) == 1  # 0.525 cents, half-up
    assert pricing.micros_to_cents(4999) == 0


def test_get_returns_settings_and_derived(api_client, assert_contract, support_headers):
    body = assert_contract(api_client.get(URL, **support_headers), "getPlatformAiPricing", status=200)
    assert body["data"]["settings"]["markupMultiplier"] == 3
    assert body["data"]["settings"]["updatedAt"] is None
    assert body["data"]["derived"]["grossMarginPercent"] == 66.7
    assert not AiPricing.objects.exists()  # a read never writes


def test_put_is_partial_and_recomputes(api_client, assert_contract, admin_headers, operator):
    response = api_client.put(URL, {"markupMultiplier": 2, "chatModel": "gpt-x"}, format="json", **admin_headers)
    body = assert_contract(response, "updatePlatformAiPricing", status=200)
    assert body["data"]["settings"]["markupMultiplier"] == 2
    assert body["data"]["settings"]["chatModel"] == "gpt-x"
    assert body["data"]["settings"]["inputCostPer1mUsd"] == 0.4
    assert body["data"]["derived"]["grossMarginPercent"] == 50.0
    row = AiPricing.objects.get()
    assert row.updated_by == operator
    assert row.updated_at is not None


def test_put_validation_lists_every_bad_field_and_writes_nothing(api_client, assert_contract, admin_headers):
    bad = {
        "markupMultiplier": 1.05,
        "inputCostPer1mUsd": -1,
        "voiceUnitSeconds": 0,
        "maxRetries": -1,
        "lowBalanceThresholdCents": -5,
        "riskBufferPercent": -1,
    }
    body = assert_contract(api_client.put(URL, bad, format="json", **admin_headers), "updatePlatformAiPricing", 400)
    assert {d.split(":")[0] for d in body["details"]} == set(bad)
    assert not AiPricing.objects.exists()


def test_support_cannot_update_pricing(api_client, assert_contract, support_headers):
    response = api_client.put(URL, {"markupMultiplier": 2}, format="json", **support_headers)
    assert assert_contract(response, "updatePlatformAiPricing", status=403)["code"] == "PERMISSION_DENIED"
    assert not AiPricing.objects.exists()
