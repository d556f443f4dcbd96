"""Holds: AI usage is paid for before the provider is called (issue 22, finding 3).

``ai_hold_place`` runs under the tenant's ``AiBalance`` row lock, the same lock every debit and top-up
takes, and sets aside what one call may use: included replies/minutes from the plan's quota, and
beyond them an estimate of the retail cost from the balance's *available* part (balance minus the
open holds). Refusals, before the provider is called:

* a daily or monthly spend limit already reached (billed + held) → 429 ``AI_SPEND_LIMIT_REACHED``;
* block-on-zero (and no overage) and the available balance cannot cover even ``min_units``
  → 402 ``AI_BALANCE_EMPTY``; with a spend limit as the tighter bound → 429.

``ai_hold_settle`` meters the real usage (``services.usage_meter``: the real cost is debited, never below
zero with block-on-zero, the rest carried) and ``ai_hold_release`` gives everything back when the call
failed. Both are idempotent: a second settle returns the first usage log; settle and release lock the
balance, then the hold, so two of them in parallel meter once.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from apps.billing import selectors
from apps.billing.models import AiBalance, AiHold, AiUsageLog, HoldStatus
from apps.billing.services import QUOTA_OF_KIND, Usage, _locked_balance, blocks_at_zero, usage_meter
from apps.plans import entitlements
from apps.tenants.models import Tenant
from ringnity.api.errors import ApiError, ErrorCode


def spend_limit_check(tenant: Tenant, *, held_cents: int | None = None) -> list[tuple[str, int, int]]:
    """429 when a daily or monthly spend limit is reached by what was billed plus what open holds set aside.

    Returns the limits that are set (``selectors.spend_limits``) for the caller's room calculation.
    """
    held = selectors.open_held_cents(tenant) if held_cents is None else held_cents
    limits = selectors.spend_limits(tenant, selectors.ai_pricing())
    for label, limit, billed in limits:
        if billed + held >= limit:
            raise _spend_limit_reached(label, limit)
    return limits


def _spend_limit_reached(label: str, limit: int) -> ApiError:
    return ApiError(
        ErrorCode.AI_SPEND_LIMIT_REACHED,
        f"The {label} AI spend limit is reached.",
        status=429,
        details=[f"{label}SpendLimitCents: {limit}"],
    )


def balance_empty() -> ApiError:
    return ApiError(
        ErrorCode.AI_BALANCE_EMPTY,
        "The AI balance is empty and the plan's included AI usage is used up.",
        status=402,
        details=["balance: top up the AI balance or enable overage"],
    )


def _cents_up(micros: int) -> int:
    return -(-micros // 10_000)


@transaction.atomic
def ai_hold_place(
    *,
    tenant: Tenant,
    kind: str,
    units: int,
    unit_estimate_micros: int,
    ttl_seconds: int,
    min_units: int = 1,
    reference: str = "",
) -> AiHold:
    """Sets aside up to ``units`` (replies, or voice minutes), at least ``min_units``, or raises 402/429.

    ``unit_estimate_micros``: the retail cost of one unit beyond the included quota (an upper estimate).
    The hold may cover fewer than ``units`` when the balance or a spend limit allows only that many
    (a voice call's cap shrinks to what is paid for); ``hold.units`` says how many.
    """
    balance = _locked_balance(tenant)
    held_elsewhere = selectors.open_held_cents(tenant)
    limits = spend_limit_check(tenant, held_cents=held_elsewhere)

    included_left = entitlements.for_tenant(tenant).remaining(QUOTA_OF_KIND[kind])
    included = units if included_left is None else min(units, included_left)
    paid, held_cents = units - included, 0
    if paid:
        carry = balance.unbilled_usage_micros
        rooms = [
            (limit - billed - held_elsewhere, _spend_limit_reached(label, limit)) for label, limit, billed in limits
        ]
        if blocks_at_zero(balance):
            rooms.append((balance.balance_cents - held_elsewhere, balance_empty()))
        if rooms:
            room, refusal = min(rooms, key=lambda pair: pair[0])
            if room <= 0:
                paid = 0
            elif unit_estimate_micros > 0:
                paid = max(0, min(paid, (room * 10_000 - carry) // unit_estimate_micros))
            elif _cents_up(carry) > room:
                paid = 0
            if included + paid < min_units:
                raise refusal
        held_cents = _cents_up(carry + paid * unit_estimate_micros) if paid else 0
    return AiHold.objects.create(
        tenant=tenant,
        kind=kind,
        units=included + paid,
        included_units=included,
        held_cents=held_cents,
        reference=reference[:64],
        expires_at=timezone.now() + timedelta(seconds=ttl_seconds),
    )


def _locked_hold(hold: AiHold) -> tuple[AiBalance, AiHold]:
    """The balance lock first (the order every balance write uses), then the hold row."""
    balance = _locked_balance(hold.tenant)
    return balance, AiHold.objects.select_for_update().get(pk=hold.pk)


@transaction.atomic
def ai_hold_settle(*, hold: AiHold, usage: Usage) -> AiUsageLog:
    """Meters the call's real usage against its hold, once: a repeat returns the first usage log.

    A hold released meanwhile (expired) still meters the usage it paid nothing for, as usage without
    included units.
    """
    balance, locked = _locked_hold(hold)
    if locked.status == HoldStatus.SETTLED:
        return locked.usage_log
    log = usage_meter(
        tenant=hold.tenant,
        balance=balance,
        kind=locked.kind,
        included_units=locked.included_units if locked.status == HoldStatus.OPEN else 0,
        usage=usage,
        reference=locked.reference,
    )
    locked.status, locked.usage_log, locked.closed_at = HoldStatus.SETTLED, log, timezone.now()
    locked.save(update_fields=["status", "usage_log", "closed_at"])
    return log


@transaction.atomic
def ai_hold_release(*, hold: AiHold) -> AiHold:
    """Gives an open hold back (the call failed before using anything); a closed hold is left as it is."""
    _, locked = _locked_hold(hold)
    if locked.status == HoldStatus.OPEN:
        locked.status, locked.closed_at = HoldStatus.RELEASED, timezone.now()
        locked.save(update_fields=["status", "closed_at"])
    return locked


def ai_holds_release_expired(*, now=None) -> int:
    """Releases every open hold past ``expires_at`` (a worker died between the hold and its settle)."""
    now = now or timezone.now()
    released = 0
    for hold in (
        AiHold.objects.cross_tenant().filter(status=HoldStatus.OPEN, expires_at__lte=now).select_related("tenant")
    ):
        released += ai_hold_release(hold=hold).status == HoldStatus.RELEASED
    return released
