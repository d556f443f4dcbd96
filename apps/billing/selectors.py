"""Reads for the platform. Cross-tenant reads are named as such (platform console and API only)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from apps.billing import pricing
from apps.billing.models import AiHold, AiLedgerEntry, AiPricing, AiUsageKind, AiUsageLog, HoldStatus, LedgerKind
from apps.plans.entitlements import FREE_PLAN_SLUG
from apps.plans.models import GRANTING_STATUSES, Plan, PlanQuota
from apps.tenants.models import Tenant
from ringnity.api.outputs import iso_utc


def month_start(now: datetime | None = None) -> datetime:
    """The first instant of the current calendar month, UTC (monthly quotas reset here)."""
    now = now or timezone.now()
    return now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _metered_plus_held(tenant, metered: QuerySet, metered_total, kinds: list[str]) -> tuple[int, int]:
    """(``metered_total`` over ``metered``, included units open holds of ``kinds`` set aside), in one query.

    Open holds count as used: a reply or call in flight has its included unit already.
    """
    held = AiHold.objects.filter(tenant=OuterRef("pk"), status=HoldStatus.OPEN, kind__in=kinds)
    row = (
        Tenant.objects.filter(pk=tenant.pk)
        .annotate(
            metered=Coalesce(Subquery(_total(metered.filter(tenant=OuterRef("pk")), metered_total)), 0),
            held=Coalesce(Subquery(_total(held, Sum("included_units"))), 0),
        )
        .values_list("metered", "held")
        .first()
    )
    return row or (0, 0)


def _total(queryset: QuerySet, aggregate) -> QuerySet:
    """``queryset``'s ``aggregate`` as a one-value subquery (grouped by tenant)."""
    return queryset.order_by().values("tenant").annotate(total=aggregate).values("total")


def ai_chat_replies_this_month(tenant) -> int:
    """Replies metered this month plus the included replies open holds have set aside."""
    replies = AiUsageLog.objects.filter(kind=AiUsageKind.CHAT_REPLY, created_at__gte=month_start())
    metered, held = _metered_plus_held(tenant, replies, Count("id"), [AiUsageKind.CHAT_REPLY])
    return metered + held


def ai_voice_minutes_this_month(tenant) -> int:
    """Whole minutes, rounded up, of voice and video AI audio this month, plus included minutes held by open calls."""
    voice_kinds = [AiUsageKind.VOICE, AiUsageKind.VIDEO]
    audio = AiUsageLog.objects.filter(kind__in=voice_kinds, created_at__gte=month_start())
    seconds, held = _metered_plus_held(tenant, audio, Sum("audio_seconds"), voice_kinds)
    return -(-seconds // 60) + held


def open_held_cents(tenant) -> int:
    """Prepaid money set aside by open holds: the balance's unavailable part."""
    open_holds = AiHold.objects.for_tenant(tenant).filter(status=HoldStatus.OPEN)
    return int(open_holds.aggregate(total=Sum("held_cents"))["total"] or 0)


def spend_limits(tenant, pricing_row: AiPricing, now: datetime | None = None) -> list[tuple[str, int, int]]:
    """``(label, limit cents, billed cents so far)`` for the daily and monthly AI spend limits that are set."""
    now = now or timezone.now()
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    limits = []
    for label, since, limit in (
        ("daily", day_start, pricing_row.daily_spend_limit_cents),
        ("monthly", month_start(now), pricing_row.monthly_spend_limit_cents),
    ):
        if limit:
            since_rows = AiUsageLog.objects.for_tenant(tenant).filter(created_at__gte=since)
            billed = since_rows.aggregate(total=Sum("billed_cents"))["total"] or 0
            limits.append((label, int(limit), int(billed)))
    return limits


def ai_pricing() -> AiPricing:
    """The pricing row, or an unsaved row with the defaults when none was saved yet (a read never writes)."""
    return AiPricing.objects.filter(pk=1).first() or AiPricing(pk=1)


ALERT_RULES = """
Alert levels, with T = AiPricing.low_balance_threshold_cents:
  empty     balance <= 0
  critical  balance <= T / 4, or the projected month-end balance <= 0
  low       balance <= T
  ok        otherwise
"""


def alert_level(*, balance_cents: int, projected_cents: int, threshold_cents: int) -> str:
    if balance_cents <= 0:
        return "empty"
    if balance_cents * 4 <= threshold_cents or projected_cents <= 0:
        return "critical"
    if balance_cents <= threshold_cents:
        return "low"
    return "ok"


def _included(contract: tuple | None, unit: str) -> tuple[int | None, str]:
    """(included amount or None for unlimited/custom, label) for one AI quota contract."""
    value_type, limit = contract or ("disabled", None)
    if value_type == "number":
        return limit, f"{limit:,} {unit}"
    if value_type == "unlimited":
        return None, f"Unlimited {unit}"
    if value_type == "custom":
        return None, "Custom"
    return 0, "Not included"


def ai_balance_overview_cross_tenant(now: datetime | None = None) -> dict:
    """Every tenant's AI balance, plan, month-to-date usage, overage and alert level (contract ``AiBalanceOverview``).

    Six queries whatever the number of tenants: tenants (+subscription, plan, balance),
    month usage grouped by tenant, ledger totals grouped by tenant, the AI quota contracts
    of every plan, the free plan, the pricing row. Definitions:

    * usage: this calendar month's ``AiUsageLog`` rows; voice minutes = audio seconds / 60, rounded up;
    * overage = usage beyond the plan's included quota (none when unlimited/custom);
    * estimatedInternalCostCents / estimatedRetailChargeCents: the logged cost of all usage this month;
    * estimatedOverageChargeCents = overage replies * retailReplyUsd + overage minutes * retailVoiceMinuteUsd;
    * projectedBalanceAfterCents = balance - overage charge per elapsed day * days left in the month;
    * alert level: see ``ALERT_RULES``.
    """

    now = now or timezone.now()
    start = month_start(now)
    next_month = (start + timedelta(days=32)).replace(day=1)
    elapsed_days = max(Decimal(1), Decimal((now - start).total_seconds()) / 86400)
    days_left = Decimal((next_month - now).total_seconds()) / 86400
    voice_kinds = [AiUsageKind.VOICE, AiUsageKind.VIDEO]

    tenants = list(Tenant.objects.select_related("subscription__plan", "ai_balance").order_by("slug"))
    usage = {
        row["tenant_id"]: row
        for row in AiUsageLog.objects.cross_tenant()
        .filter(created_at__gte=start)
        .values("tenant_id")
        .annotate(
            chat=Count("id", filter=Q(kind=AiUsageKind.CHAT_REPLY)),
            voice_events=Count("id", filter=Q(kind__in=voice_kinds)),
            audio=Sum("audio_seconds", filter=Q(kind__in=voice_kinds)),
            input=Sum("input_tokens"),
            cached=Sum("cached_input_tokens"),
            output=Sum("output_tokens"),
            internal=Sum("internal_cost_micros"),
            retail=Sum("retail_charge_micros"),
        )
    }
    ledger = {
        row["tenant_id"]: row
        for row in AiLedgerEntry.objects.cross_tenant()
        .values("tenant_id")
        .annotate(
            top_ups=Sum("amount_cents", filter=Q(kind=LedgerKind.TOP_UP)),
            debits=Sum("amount_cents", filter=Q(kind=LedgerKind.USAGE_DEBIT)),
            last_top_up=Max("created_at", filter=Q(kind=LedgerKind.TOP_UP)),
        )
    }
    quotas: dict[tuple[int, str], tuple] = {
        (plan_id, key): (value_type, limit)
        for plan_id, key, value_type, limit in PlanQuota.objects.filter(
            quota__key__in=["ai_chat_replies", "ai_voice_minutes"]
        ).values_list("plan_id", "quota__key", "value_type", "limit_value")
    }
    free_plan = Plan.objects.filter(slug=FREE_PLAN_SLUG).first()
    pricing_row = ai_pricing()
    prices = pricing.derived(pricing_row)
    retail_reply = pricing.internal_reply_usd(pricing_row) * Decimal(pricing_row.markup_multiplier)
    retail_minute = pricing.internal_voice_minute_usd(pricing_row) * Decimal(pricing_row.markup_multiplier)
    threshold = pricing_row.low_balance_threshold_cents

    rows, totals = (
        [],
        dict.fromkeys(["balance", "overage", "retail", "internal", "chat", "voice", "empty", "critical", "low"], 0),
    )
    for tenant in tenants:
        subscription = getattr(tenant, "subscription", None)
        plan = subscription.plan if subscription and subscription.status in GRANTING_STATUSES else free_plan
        balance = getattr(tenant, "ai_balance", None)
        used = usage.get(tenant.pk, {})
        sums = ledger.get(tenant.pk, {})
        chat = used.get("chat", 0)
        audio = used.get("audio") or 0
        minutes = -(-audio // 60)
        chat_included, chat_label = _included(quotas.get((plan.pk, "ai_chat_replies")) if plan else None, "replies")
        voice_included, voice_label = _included(quotas.get((plan.pk, "ai_voice_minutes")) if plan else None, "minutes")
        over_chat = 0 if chat_included is None else max(0, chat - chat_included)
        over_voice = 0 if voice_included is None else max(0, minutes - voice_included)
        overage_cents = int((over_chat * retail_reply + over_voice * retail_minute) * 100 + Decimal("0.5"))
        balance_cents = balance.balance_cents if balance else 0
        projected = balance_cents - int(Decimal(overage_cents) / elapsed_days * days_left)
        level = alert_level(balance_cents=balance_cents, projected_cents=projected, threshold_cents=threshold)
        internal_cents = pricing.micros_to_cents(used.get("internal") or 0)
        retail_cents = pricing.micros_to_cents(used.get("retail") or 0)
        rows.append(
            {
                "tenantId": tenant.public_id,
                "tenantName": tenant.name,
                "tenantEmail": tenant.email,
                "tenantSlug": tenant.slug,
                "planId": plan.public_id if plan else None,
                "planSlug": plan.slug if plan else "",
                "planName": plan.name if plan else "",
                "currency": pricing_row.currency,
                "balanceCents": balance_cents,
                "totalTopUpCents": sums.get("top_ups") or 0,
                "totalUsageCents": -(sums.get("debits") or 0),
                "overageEnabled": balance.overage_enabled if balance else False,
                "blockOnZero": balance.block_on_zero if balance else True,
                "autoTopUpEnabled": balance.auto_top_up_enabled if balance else False,
                "autoTopUpThresholdCents": balance.auto_top_up_threshold_cents if balance else 0,
                "autoTopUpAmountCents": balance.auto_top_up_amount_cents if balance else 0,
                "lastTopUpAt": iso_utc(sums.get("last_top_up")),
                "usage": {
                    "chatReplies": chat,
                    "voiceMinutes": minutes,
                    "voiceEvents": used.get("voice_events", 0),
                    "audioSeconds": audio,
                    "inputTokens": (used.get("input") or 0) + (used.get("cached") or 0),
                    "outputTokens": used.get("output") or 0,
                    "totalTokens": (used.get("input") or 0) + (used.get("cached") or 0) + (used.get("output") or 0),
                },
                "included": {
                    "chatReplies": chat_included,
                    "chatLabel": chat_label,
                    "voiceMinutes": voice_included,
                    "voiceLabel": voice_label,
                },
                "overage": {
                    "chatReplies": over_chat,
                    "voiceMinutes": over_voice,
                    "estimatedInternalCostCents": internal_cents,
                    "estimatedRetailChargeCents": retail_cents,
                    "estimatedOverageChargeCents": overage_cents,
                    "projectedBalanceAfterCents": projected,
                },
                "alertLevel": level,
            }
        )
        totals["balance"] += balance_cents
        totals["overage"] += overage_cents
        totals["retail"] += retail_cents
        totals["internal"] += internal_cents
        totals["chat"] += chat
        totals["voice"] += minutes
        if level != "ok":
            totals[level] += 1
    return {
        "summary": {
            "totalTenants": len(rows),
            "totalBalanceCents": totals["balance"],
            "totalEstimatedOverageCents": totals["overage"],
            "totalEstimatedRetailChargeCents": totals["retail"],
            "totalEstimatedInternalCostCents": totals["internal"],
            "totalChatReplies": totals["chat"],
            "totalVoiceMinutes": totals["voice"],
            "emptyCount": totals["empty"],
            "criticalCount": totals["critical"],
            "lowCount": totals["low"],
        },
        "tenants": rows,
        "pricing": {"settings": pricing.settings_data(pricing_row), "derived": prices},
        "checkedAt": iso_utc(now),
    }


def ai_usage_daily(*, tenant, days: int = 30, today=None) -> list[dict]:
    """The tenant's AI usage per UTC day for the last ``days`` days (oldest first, zero-filled). One query."""

    today = today or timezone.now().astimezone(UTC).date()
    first = today - timedelta(days=days - 1)
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    voice_kinds = [AiUsageKind.VOICE, AiUsageKind.VIDEO]
    rows = {
        row["day"]: row
        for row in AiUsageLog.objects.for_tenant(tenant)
        .filter(created_at__gte=start)
        .annotate(day=TruncDate("created_at", tzinfo=UTC))
        .values("day")
        .annotate(
            chat=Count("id", filter=Q(kind=AiUsageKind.CHAT_REPLY)),
            audio=Sum("audio_seconds", filter=Q(kind__in=voice_kinds)),
            retail=Sum("retail_charge_micros"),
        )
    }
    out = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        row = rows.get(day, {})
        out.append(
            {
                "day": day,
                "chat_replies": row.get("chat", 0),
                "voice_minutes": -(-(row.get("audio") or 0) // 60),
                "retail_cents": pricing.micros_to_cents(row.get("retail") or 0),
            }
        )
    return out
