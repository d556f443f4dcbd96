"""AI pricing settings, prepaid AI balances, their append-only ledger and the AI usage log."""

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.tenants.tenancy import TenantOwnedModel


def format_cents(value: int) -> str:
    """``-$1,234.05`` from whole cents, in integers (a float would drift on large amounts)."""
    dollars, rest = divmod(abs(int(value)), 100)
    return f"{'-' if value < 0 else ''}${dollars:,}.{rest:02d}"


def ledger_public_id() -> str:
    return f"led_{secrets.token_hex(8)}"


def hold_public_id() -> str:
    return f"hld_{secrets.token_hex(8)}"


NON_NEGATIVE_PRICING_FIELDS = (
    "input_cost_per_1m_usd",
    "cached_input_cost_per_1m_usd",
    "output_cost_per_1m_usd",
    "voice_cost_per_minute_usd",
    "risk_buffer_percent",
)


class AiPricing(models.Model):
    """The one row of AI pricing settings (``pk=1``); formulas live in ``apps.billing.pricing``."""

    provider = models.CharField(max_length=40, default="openai")
    currency = models.CharField(max_length=3, default="USD")
    chat_model = models.CharField(max_length=80, default="gpt-4.1-mini")
    voice_model = models.CharField(max_length=80, default="gpt-realtime")
    input_cost_per_1m_usd = models.DecimalField(max_digits=12, decimal_places=6, default=Decimal("0.4"))
    cached_input_cost_per_1m_usd = models.DecimalField(max_digits=12, decimal_places=6, default=Decimal("0.1"))
    output_cost_per_1m_usd = models.DecimalField(max_digits=12, decimal_places=6, default=Decimal("1.6"))
    voice_cost_per_minute_usd = models.DecimalField(max_digits=12, decimal_places=6, default=Decimal("0.03"))
    markup_multiplier = models.DecimalField(max_digits=8, decimal_places=4, default=Decimal("3"))
    risk_buffer_percent = models.DecimalField(max_digits=8, decimal_places=4, default=Decimal("25"))
    reply_unit_input_tokens = models.PositiveIntegerField(default=3000)
    reply_unit_output_tokens = models.PositiveIntegerField(default=1000)
    voice_unit_seconds = models.PositiveIntegerField(default=60)
    max_input_tokens = models.PositiveIntegerField(default=12000)
    max_output_tokens = models.PositiveIntegerField(default=1500)
    max_context_messages = models.PositiveIntegerField(default=12)
    max_knowledge_chunks = models.PositiveIntegerField(default=6)
    max_retries = models.PositiveIntegerField(default=1)
    max_tool_calls = models.PositiveIntegerField(default=4)
    daily_spend_limit_cents = models.PositiveBigIntegerField(default=5000)
    monthly_spend_limit_cents = models.PositiveBigIntegerField(default=50000)
    low_balance_threshold_cents = models.PositiveBigIntegerField(default=1000)
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "AI pricing"
        verbose_name_plural = "AI pricing"
        constraints = [
            models.CheckConstraint(condition=Q(markup_multiplier__gte=1.1), name="ai_pricing_markup_min"),
            models.CheckConstraint(condition=Q(voice_unit_seconds__gte=1), name="ai_pricing_voice_unit_min"),
            # As validated by the API: a negative cost or buffer would meter negative usage.
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{field}__gte": 0}),
                    name=f"ai_pricing_{field}_not_negative",
                    violation_error_message=f"{field.replace('_', ' ').capitalize()} cannot be negative.",
                )
                for field in NON_NEGATIVE_PRICING_FIELDS
            ),
        ]

    def __str__(self) -> str:
        return f"AI pricing ({self.provider}, x{self.markup_multiplier})"


class AiBalance(TenantOwnedModel):
    """A tenant's prepaid AI balance. ``balance_cents`` always equals the sum of its ledger entries.

    Only ``apps.billing.services`` changes it, under ``select_for_update`` and together
    with the ledger row, in one transaction.
    """

    tenant = models.OneToOneField("tenants.Tenant", on_delete=models.CASCADE, related_name="ai_balance")
    balance_cents = models.BigIntegerField(default=0)
    overage_enabled = models.BooleanField(default=False)
    block_on_zero = models.BooleanField(default=True)
    auto_top_up_enabled = models.BooleanField(default=False)
    auto_top_up_threshold_cents = models.PositiveBigIntegerField(default=0)
    auto_top_up_amount_cents = models.PositiveBigIntegerField(default=0)
    unbilled_usage_micros = models.PositiveBigIntegerField(
        default=0,
        help_text="Metered overage not debited yet: fractions of a cent, and with block-on-zero whatever a "
        "reply cost beyond the balance. Carried into the next debit.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "AI balance"

    def __str__(self) -> str:
        return f"AI balance {format_cents(self.balance_cents)}"

    def clean(self) -> None:
        if self.auto_top_up_enabled and not self.auto_top_up_amount_cents:
            raise ValidationError({"auto_top_up_amount_cents": "Must be positive while auto top-up is enabled."})


class LedgerKind(models.TextChoices):
    TOP_UP = "top_up", "Top-up"
    USAGE_DEBIT = "usage_debit", "Usage debit"
    ADJUSTMENT = "adjustment", "Adjustment"


class AiLedgerEntry(TenantOwnedModel):
    """Append-only: rows are never updated or deleted (the admin shows them read-only)."""

    public_id = models.CharField(max_length=32, unique=True, default=ledger_public_id, editable=False)
    kind = models.CharField(max_length=12, choices=LedgerKind.choices)
    amount_cents = models.BigIntegerField(help_text="Signed: top-ups positive, debits negative.")
    balance_before_cents = models.BigIntegerField()
    balance_after_cents = models.BigIntegerField()
    note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    idempotency_key = models.CharField(max_length=200, blank=True)
    request_fingerprint = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "AI ledger entry"
        verbose_name_plural = "AI ledger entries"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "idempotency_key"], condition=~Q(idempotency_key=""), name="ai_ledger_idempotency"
            ),
            models.CheckConstraint(
                condition=Q(balance_after_cents=models.F("balance_before_cents") + models.F("amount_cents")),
                name="ai_ledger_after_is_before_plus_amount",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "kind", "created_at"], name="ai_ledger_tenant_kind_at")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_cents:+}¢"


class AiUsageKind(models.TextChoices):
    CHAT_REPLY = "chat_reply", "Chat reply"
    VOICE = "voice", "Voice"
    VIDEO = "video", "Video"


class AiUsageLog(TenantOwnedModel):
    """One metered AI event, written by ``apps.ai`` (through ``services.ai_usage_record``).

    A chat reply is one ``chat_reply`` row; voice is a ``voice`` row with ``audio_seconds``.
    Costs are in micro-USD (millionths of a dollar; one reply costs fractions of a cent),
    computed from ``AiPricing`` at the time of the event. ``billed_cents`` is what was
    debited from the prepaid balance for it (0 while it is within the plan's included quota).
    """

    kind = models.CharField(max_length=12, choices=AiUsageKind.choices)
    model = models.CharField(max_length=80, blank=True)
    input_tokens = models.PositiveIntegerField(default=0)
    cached_input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    audio_seconds = models.PositiveIntegerField(default=0)
    internal_cost_micros = models.PositiveBigIntegerField(default=0)
    retail_charge_micros = models.PositiveBigIntegerField(default=0)
    included = models.BooleanField(default=True, help_text="Covered by the plan's included quota.")
    billed_cents = models.PositiveBigIntegerField(default=0)
    reference = models.CharField(max_length=64, blank=True, help_text="e.g. the conversation or call id")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "AI usage log"
        indexes = [models.Index(fields=["tenant", "created_at"], name="ai_usage_tenant_at")]

    def __str__(self) -> str:
        return f"{self.kind} @ {self.created_at:%Y-%m-%d %H:%M}"


class HoldStatus(models.TextChoices):
    OPEN = "open", "Open"
    SETTLED = "settled", "Settled"
    RELEASED = "released", "Released"


class AiHold(TenantOwnedModel):
    """What one AI call may use, set aside under the balance row lock before the provider is called.

    ``included_units`` (replies, or voice minutes) are taken from the plan's included quota and
    ``held_cents`` from the prepaid balance's available part (balance minus every open hold), so
    parallel calls cannot all spend the same cent or the same included reply. Settling writes the
    usage log and the real debit; releasing (provider failure) gives both back. Holds are never
    ledger rows: the balance moves only by real debits. Open holds past ``expires_at`` are released
    by the beat task ``billing.release_expired_holds``.
    """

    public_id = models.CharField(max_length=32, unique=True, default=hold_public_id, editable=False)
    kind = models.CharField(max_length=12, choices=AiUsageKind.choices)
    units = models.PositiveIntegerField(help_text="Replies, or voice minutes, the call may use.")
    included_units = models.PositiveIntegerField(default=0, help_text="Of ``units``, covered by the plan.")
    held_cents = models.PositiveBigIntegerField(default=0)
    status = models.CharField(max_length=8, choices=HoldStatus.choices, default=HoldStatus.OPEN)
    reference = models.CharField(max_length=64, blank=True)
    usage_log = models.OneToOneField(
        AiUsageLog, null=True, blank=True, on_delete=models.SET_NULL, related_name="hold", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "AI hold"
        indexes = [models.Index(fields=["tenant", "status", "kind"], name="ai_hold_tenant_status")]

    def __str__(self) -> str:
        return f"{self.kind} hold {self.public_id} ({self.status})"
