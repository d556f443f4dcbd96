"""AI pricing formulas (contract ``AiPricingDerived``), in Decimal so money never drifts.

With ``b = riskBufferPercent / 100`` and ``m = markupMultiplier``::

    internalReplyUsd        = (replyUnitInputTokens  * inputCostPer1mUsd
                               + replyUnitOutputTokens * outputCostPer1mUsd) / 1_000_000 * (1 + b)
    retailReplyUsd          = internalReplyUsd * m
    retailPer1000RepliesUsd = retailReplyUsd * 1000
    internalVoiceMinuteUsd  = voiceCostPerMinuteUsd * (1 + b)
    retailVoiceMinuteUsd    = internalVoiceMinuteUsd * m
    grossMarginPercent      = (retailReplyUsd - internalReplyUsd) / retailReplyUsd * 100  = (1 - 1/m) * 100

The risk buffer covers retries, longer-than-average replies and provider price
changes, so it belongs to our (internal) cost; the margin is measured against
that buffered cost. Worked example with the contract's example values (0.4 / 1.6
per 1M tokens, 3000 in + 1000 out per reply, 0.03 per voice minute, buffer 25 %,
markup 3)::

    internalReplyUsd        = (3000*0.4 + 1000*1.6) / 1e6 * 1.25 = 0.0035
    retailReplyUsd          = 0.0105;  retailPer1000RepliesUsd = 10.5
    internalVoiceMinuteUsd  = 0.0375;  retailVoiceMinuteUsd    = 0.1125
    grossMarginPercent      = 66.7

USD values are rounded to 6 decimals, the margin to 1 decimal (half-up).

Metered events (``event_cost_micros``) use the event's real tokens, including
cached input tokens at ``cachedInputCostPer1mUsd``, and voice time rounded up to
whole ``voiceUnitSeconds`` units.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from ringnity.api.outputs import iso_utc

MILLION = Decimal(1_000_000)

#: Contract ``AiPricingSettings`` field -> ``AiPricing`` model field.
SETTINGS_FIELDS = {
    "provider": "provider",
    "currency": "currency",
    "chatModel": "chat_model",
    "voiceModel": "voice_model",
    "inputCostPer1mUsd": "input_cost_per_1m_usd",
    "cachedInputCostPer1mUsd": "cached_input_cost_per_1m_usd",
    "outputCostPer1mUsd": "output_cost_per_1m_usd",
    "voiceCostPerMinuteUsd": "voice_cost_per_minute_usd",
    "markupMultiplier": "markup_multiplier",
    "riskBufferPercent": "risk_buffer_percent",
    "replyUnitInputTokens": "reply_unit_input_tokens",
    "replyUnitOutputTokens": "reply_unit_output_tokens",
    "voiceUnitSeconds": "voice_unit_seconds",
    "maxInputTokens": "max_input_tokens",
    "maxOutputTokens": "max_output_tokens",
    "maxContextMessages": "max_context_messages",
    "maxKnowledgeChunks": "max_knowledge_chunks",
    "maxRetries": "max_retries",
    "maxToolCalls": "max_tool_calls",
    "dailySpendLimitCents": "daily_spend_limit_cents",
    "monthlySpendLimitCents": "monthly_spend_limit_cents",
    "lowBalanceThresholdCents": "low_balance_threshold_cents",
}
USD_PLACES = Decimal("0.000001")


def _d(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _buffer(pricing) -> Decimal:
    return 1 + _d(pricing.risk_buffer_percent) / 100


def internal_reply_usd(pricing) -> Decimal:
    tokens_cost = (
        _d(pricing.reply_unit_input_tokens) * _d(pricing.input_cost_per_1m_usd)
        + _d(pricing.reply_unit_output_tokens) * _d(pricing.output_cost_per_1m_usd)
    ) / MILLION
    return tokens_cost * _buffer(pricing)


def internal_voice_minute_usd(pricing) -> Decimal:
    return _d(pricing.voice_cost_per_minute_usd) * _buffer(pricing)


def derived(pricing) -> dict:
    """The contract's ``AiPricingDerived`` for ``pricing`` (an ``AiPricing`` row)."""
    markup = _d(pricing.markup_multiplier)
    internal_reply = internal_reply_usd(pricing)
    retail_reply = internal_reply * markup
    internal_minute = internal_voice_minute_usd(pricing)
    margin = (1 - 1 / markup) * 100

    def usd(value: Decimal) -> float:
        return float(value.quantize(USD_PLACES, rounding=ROUND_HALF_UP))

    return {
        "internalReplyUsd": usd(internal_reply),
        "retailReplyUsd": usd(retail_reply),
        "retailPer1000RepliesUsd": usd(retail_reply * 1000),
        "internalVoiceMinuteUsd": usd(internal_minute),
        "retailVoiceMinuteUsd": usd(internal_minute * markup),
        "grossMarginPercent": float(margin.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)),
    }


DECIMAL_FIELDS = {
    "input_cost_per_1m_usd",
    "cached_input_cost_per_1m_usd",
    "output_cost_per_1m_usd",
    "voice_cost_per_minute_usd",
    "markup_multiplier",
    "risk_buffer_percent",
}


def settings_data(row) -> dict:
    """The contract's ``AiPricingSettings`` for an ``AiPricing`` row (Decimals as JSON numbers)."""
    data = {}
    for name, field in SETTINGS_FIELDS.items():
        value = getattr(row, field)
        data[name] = float(_d(value)) if field in DECIMAL_FIELDS else value
    data["updatedAt"] = iso_utc(row.updated_at)
    return data


def catalog_data(row) -> dict:
    """The contract's ``AiPricingCatalog``: settings and the figures derived from them."""
    return {"settings": settings_data(row), "derived": derived(row)}


def event_cost_micros(
    pricing, *, input_tokens: int = 0, cached_input_tokens: int = 0, output_tokens: int = 0, audio_seconds: int = 0
) -> tuple[int, int]:
    """``(internal, retail)`` cost of one metered event in micro-USD, rounded up."""
    tokens_usd = (
        _d(input_tokens) * _d(pricing.input_cost_per_1m_usd)
        + _d(cached_input_tokens) * _d(pricing.cached_input_cost_per_1m_usd)
        + _d(output_tokens) * _d(pricing.output_cost_per_1m_usd)
    ) / MILLION
    unit = max(1, int(pricing.voice_unit_seconds))
    units = -(-int(audio_seconds) // unit)
    voice_usd = _d(units * unit) / 60 * _d(pricing.voice_cost_per_minute_usd)
    internal = (tokens_usd + voice_usd) * _buffer(pricing) * MILLION
    retail = internal * _d(pricing.markup_multiplier)
    return int(internal.to_integral_value(ROUND_CEILING)), int(retail.to_integral_value(ROUND_CEILING))


def micros_to_cents(micros: int | Decimal) -> int:
    """Half-up rounding to whole cents (1 cent = 10,000 micro-USD)."""
    return int((_d(micros) / 10_000).to_integral_value(ROUND_HALF_UP))
