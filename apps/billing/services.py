"""Writes for AI pricing, AI balances and AI usage (the metering service).

Balance writes lock the tenant's ``AiBalance`` row (``select_for_update``) and
append one ``AiLedgerEntry`` in the same transaction, so the balance equals the
ledger's sum at every commit.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.audit.services import audit_record, audited, snapshot
from apps.billing import pricing, selectors
from apps.billing.models import AiBalance, AiLedgerEntry, AiPricing, AiUsageKind, AiUsageLog, LedgerKind
from apps.plans import entitlements
from apps.tenants.models import Tenant
from ringnity.api.errors import ApiError, ErrorCode, validation_failed

MAX_TOP_UP_CENTS = 10**11  # one billion dollars per top-up, whichever way it arrives (API, console)


# --- AI pricing ----------------------------------------------------------------


def ai_pricing_current(*, for_update: bool = False) -> AiPricing:
    """The one pricing row, created with the defaults on first use."""
    queryset = AiPricing.objects.select_for_update() if for_update else AiPricing.objects
    pricing_row = queryset.filter(pk=1).first()
    if pricing_row is None:
        pricing_row, _ = AiPricing.objects.get_or_create(pk=1)
    return pricing_row


@audited("ai_pricing.update")
@transaction.atomic
def ai_pricing_update(*, changes: dict, actor=None) -> AiPricing:
    """Partial update: ``changes`` maps model field names to validated values."""
    pricing_row = ai_pricing_current(for_update=True)
    before = snapshot(pricing_row, changes)
    for field, value in changes.items():
        setattr(pricing_row, field, value)
    pricing_row.updated_at = timezone.now()
    pricing_row.updated_by = actor
    pricing_row.save()
    audit_record(action="ai_pricing.update", target=("aipricing", pricing_row.pk), before=before, after=changes)
    return pricing_row


# --- AI balance ------------------------------------------------------------------


@dataclass(frozen=True)
class BalanceChange:
    client_id: str
    amount_cents: int
    balance_before_cents: int
    balance_after_cents: int
    entry: AiLedgerEntry
    replayed: bool = False


def _fingerprint(**fields) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()


def _locked_balance(tenant: Tenant) -> AiBalance:
    try:
        with transaction.atomic():
            AiBalance.objects.get_or_create(tenant=tenant)
    except IntegrityError:
        pass  # created concurrently by another transaction; the lock below waits for it
    return AiBalance.objects.select_for_update().get(tenant=tenant)


def _replay(tenant: Tenant, key: str, fingerprint: str) -> BalanceChange | None:
    entry = AiLedgerEntry.objects.for_tenant(tenant).filter(idempotency_key=key).first()
    if entry is None:
        return None
    if entry.request_fingerprint != fingerprint:
        raise ApiError(
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            "This Idempotency-Key was already used with a different request.",
            status=409,
        )
    return BalanceChange(
        client_id=tenant.public_id,
        amount_cents=entry.amount_cents,
        balance_before_cents=entry.balance_before_cents,
        balance_after_cents=entry.balance_after_cents,
        entry=entry,
        replayed=True,
    )


def _append(
    *, tenant: Tenant, balance: AiBalance, kind: str, amount_cents: int, note: str, actor, key: str, fingerprint: str
) -> BalanceChange:
    before = balance.balance_cents
    entry = AiLedgerEntry.objects.create(
        tenant=tenant,
        kind=kind,
        amount_cents=amount_cents,
        balance_before_cents=before,
        balance_after_cents=before + amount_cents,
        note=note,
        created_by=actor if getattr(actor, "pk", None) else None,
        idempotency_key=key,
        request_fingerprint=fingerprint if key else "",
    )
    balance.balance_cents = before + amount_cents
    balance.save(update_fields=["balance_cents", "unbilled_usage_micros", "updated_at"])
    return BalanceChange(tenant.public_id, amount_cents, before, balance.balance_cents, entry)


@audited("ai_balance.top_up")
@transaction.atomic
def ai_balance_top_up(
    *, tenant: Tenant, amount_cents: int, note: str = "", actor=None, idempotency_key: str = ""
) -> BalanceChange:
    """Adds prepaid balance. With ``idempotency_key`` a repeat returns the first result and adds nothing.

    Serialised per tenant by the balance row lock; the idempotency key is checked
    again after the lock is taken, so two concurrent requests with one key add once.
    """
    if not isinstance(amount_cents, int) or isinstance(amount_cents, bool) or amount_cents <= 0:
        raise validation_failed(["amountCents: must be a positive whole number of cents."])
    if amount_cents > MAX_TOP_UP_CENTS:
        raise validation_failed([f"amountCents: at most {MAX_TOP_UP_CENTS} per top-up."])
    note = (note or "").strip()[:500]
    key = (idempotency_key or "").strip()
    if len(key) > 200:
        raise validation_failed(["Idempotency-Key: at most 200 characters."])
    if not all(" " <= char <= "~" for char in key):  # a NUL byte would even be a database error
        raise validation_failed(["Idempotency-Key: use printable ASCII characters only."])
    fingerprint = _fingerprint(op="top_up", amount=amount_cents, note=note)
    if key and (replay := _replay(tenant, key, fingerprint)):
        return replay
    balance = _locked_balance(tenant)
    if key and (replay := _replay(tenant, key, fingerprint)):
        return replay
    change = _append(
        tenant=tenant,
        balance=balance,
        kind=LedgerKind.TOP_UP,
        amount_cents=amount_cents,
        note=note,
        actor=actor,
        key=key,
        fingerprint=fingerprint,
    )
    _audit_change("ai_balance.top_up", tenant, change)
    return change


@audited("ai_balance.adjust")
@transaction.atomic
def ai_balance_adjust(*, tenant: Tenant, amount_cents: int, note: str, actor=None) -> BalanceChange:
    """A signed correction by an operator (refund, goodwill credit); a note is required."""
    problems = []
    if not isinstance(amount_cents, int) or amount_cents == 0:
        problems.append("amountCents: must be a non-zero whole number of cents.")
    if not (note or "").strip():
        problems.append("note: required for an adjustment.")
    if problems:
        raise validation_failed(problems)
    balance = _locked_balance(tenant)
    change = _append(
        tenant=tenant,
        balance=balance,
        kind=LedgerKind.ADJUSTMENT,
        amount_cents=amount_cents,
        note=note.strip()[:500],
        actor=actor,
        key="",
        fingerprint="",
    )
    _audit_change("ai_balance.adjust", tenant, change)
    return change


def _audit_change(action: str, tenant: Tenant, change: BalanceChange) -> None:
    audit_record(
        action=action,
        target=("aibalance", tenant.public_id),
        before={"balance_cents": change.balance_before_cents},
        after={"balance_cents": change.balance_after_cents, "amount_cents": change.amount_cents},
        tenant=tenant,
    )


BALANCE_SETTINGS_FIELDS = (
    "overage_enabled",
    "block_on_zero",
    "auto_top_up_enabled",
    "auto_top_up_threshold_cents",
    "auto_top_up_amount_cents",
)


@audited("ai_balance.settings_update")
@transaction.atomic
def ai_balance_settings_update(*, tenant: Tenant, changes: dict) -> AiBalance:
    """Partial update of overage / block-on-zero / auto top-up (``changes`` uses model field names)."""
    unknown = sorted(set(changes) - set(BALANCE_SETTINGS_FIELDS))
    if unknown:
        raise validation_failed([f"{name}: not a balance setting." for name in unknown])
    balance = _locked_balance(tenant)
    before = snapshot(balance, changes)
    for field, value in changes.items():
        setattr(balance, field, value)
    if balance.auto_top_up_enabled and balance.auto_top_up_amount_cents <= 0:
        raise validation_failed(["autoTopUpAmountCents: must be positive while auto top-up is enabled."])
    balance.save(update_fields=[*changes, "updated_at"])  # never the balance columns: only the ledger moves them
    audit_record(
        action="ai_balance.settings_update",
        target=("aibalance", tenant.public_id),
        before=before,
        after=snapshot(balance, changes),
        tenant=tenant,
    )
    entitlements.invalidate(tenant)
    return balance


@audited("ai_balance.settings_update")
def ai_balance_settings_save(*, balance: AiBalance) -> AiBalance:
    """Saves the settings of a balance row edited elsewhere (the console) through the locked update.

    ``balance`` was loaded before the form was validated; saving it whole would write back its
    (possibly stale) ``balance_cents`` and ``unbilled_usage_micros`` over a concurrent top-up
    or usage debit, and the balance would no longer equal its ledger.
    """
    return ai_balance_settings_update(
        tenant=balance.tenant, changes={field: getattr(balance, field) for field in BALANCE_SETTINGS_FIELDS}
    )


def blocks_at_zero(balance: AiBalance) -> bool:
    """Block-on-zero without overage: usage beyond the included quota needs prepaid money, and the balance
    never goes below zero (``AiHold``). Otherwise overage may take the balance negative (billed later)."""
    return balance.block_on_zero and not balance.overage_enabled


QUOTA_OF_KIND = {
    AiUsageKind.CHAT_REPLY: "ai_chat_replies",
    AiUsageKind.VOICE: "ai_voice_minutes",
    AiUsageKind.VIDEO: "ai_voice_minutes",
}


@dataclass(frozen=True)
class Usage:
    """What one AI call used, as the provider reported it (tokens) or the server measured it (audio)."""

    model: str = ""
    input_tokens: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0
    audio_seconds: int = 0


def usage_meter(
    *, tenant: Tenant, balance: AiBalance, kind: str, included_units: int | None, usage: Usage, reference: str = ""
) -> AiUsageLog:
    """Writes one usage log and debits what ``included_units`` does not cover. The caller holds ``balance``'s lock.

    ``included_units``: included replies (chat: 1 covers the reply) or voice minutes (the first
    ``60 * n`` seconds are free); None = all included. The billable part's retail cost plus the carried
    ``unbilled_usage_micros`` is debited in whole cents; with block-on-zero never below zero: what the
    balance cannot pay stays carried (and blocks further use until a top-up covers it).
    """
    pricing_row = selectors.ai_pricing()
    measured = {field: getattr(usage, field) for field in ("input_tokens", "cached_input_tokens", "output_tokens")}
    audio_seconds = usage.audio_seconds
    internal, retail = pricing.event_cost_micros(pricing_row, **measured, audio_seconds=audio_seconds)
    if kind == AiUsageKind.CHAT_REPLY:
        billable = 0 if included_units is None or included_units >= 1 else retail
    else:
        free_seconds = audio_seconds if included_units is None else included_units * 60
        extra_seconds = max(0, audio_seconds - free_seconds)
        billable = pricing.event_cost_micros(pricing_row, audio_seconds=extra_seconds)[1] if extra_seconds else 0
    log = AiUsageLog.objects.create(
        tenant=tenant,
        kind=kind,
        model=usage.model[:80],
        **measured,
        audio_seconds=audio_seconds,
        internal_cost_micros=internal,
        retail_charge_micros=retail,
        included=billable == 0,
        reference=reference[:64],
    )
    if billable == 0:
        return log
    owed = balance.unbilled_usage_micros + billable
    cents = owed // 10_000
    if blocks_at_zero(balance):
        cents = max(0, min(cents, balance.balance_cents))
    balance.unbilled_usage_micros = owed - cents * 10_000
    if cents:
        _append(
            tenant=tenant,
            balance=balance,
            kind=LedgerKind.USAGE_DEBIT,
            amount_cents=-cents,
            note=f"{kind} overage",
            actor=None,
            key="",
            fingerprint="",
        )
        AiUsageLog.objects.filter(pk=log.pk).update(billed_cents=cents)
        log.billed_cents = cents
    else:
        balance.save(update_fields=["unbilled_usage_micros", "updated_at"])
    return log


@transaction.atomic
def ai_usage_record(
    *,
    tenant: Tenant,
    kind: str,
    model: str = "",
    input_tokens: int = 0,
    cached_input_tokens: int = 0,
    output_tokens: int = 0,
    audio_seconds: int = 0,
    reference: str = "",
) -> AiUsageLog:
    """Meters one AI event that had no hold (``hold_services.ai_hold_settle`` is the normal path).

    Within what is left of the plan's included quota (``ai_chat_replies`` / ``ai_voice_minutes``) the
    event is free; beyond it, ``usage_meter`` debits its retail cost from the prepaid balance.
    """
    if kind not in AiUsageKind.values:
        raise ValueError(f"kind must be one of {AiUsageKind.values}")  # set by apps.ai, never by a client
    balance = _locked_balance(tenant)  # serialises metering per tenant, so quota counting is exact
    return usage_meter(
        tenant=tenant,
        balance=balance,
        kind=kind,
        included_units=entitlements.for_tenant(tenant).remaining(QUOTA_OF_KIND[kind]),
        usage=Usage(model, input_tokens, cached_input_tokens, output_tokens, audio_seconds),
        reference=reference,
    )
