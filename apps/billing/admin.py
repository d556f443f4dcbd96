"""Console pages for AI pricing, balances, the ledger and usage (role rules come from the console's site).

Ledger and usage rows are read-only for everybody: the balance moves only through
``apps.billing.services`` (the same top-up service as the API).
"""

from django.contrib import admin

from apps.billing.models import AiBalance, AiHold, AiLedgerEntry, AiPricing, AiUsageLog, format_cents
from apps.billing.pricing import derived
from apps.billing.services import ai_balance_settings_save, ai_pricing_update


def cents(value: int | None) -> str:
    return "—" if value is None else format_cents(value)


@admin.register(AiPricing)
class AiPricingAdmin(admin.ModelAdmin):
    list_display = ("__str__", "provider", "chat_model", "voice_model", "markup_multiplier", "updated_at")
    readonly_fields = ("updated_at", "updated_by", "derived_figures")
    allow_delete = False

    def allows_add(self, request):
        return not AiPricing.objects.exists()  # one row of settings

    @admin.display(description="Derived (per the formulas in apps/billing/pricing.py)")
    def derived_figures(self, obj):
        return ", ".join(f"{k}={v}" for k, v in derived(obj).items())

    def save_model(self, request, obj, form, change):
        changes = {name: getattr(obj, name) for name in form.changed_data}
        ai_pricing_update(changes=changes, actor=request.user)


@admin.register(AiBalance)
class AiBalanceAdmin(admin.ModelAdmin):
    list_display = ("tenant", "balance", "overage_enabled", "block_on_zero", "auto_top_up_enabled", "updated_at")
    list_filter = ("overage_enabled", "block_on_zero", "auto_top_up_enabled")
    search_fields = ("tenant__slug", "tenant__name", "tenant__public_id")
    list_select_related = ("tenant",)
    readonly_fields = ("tenant", "balance_cents", "unbilled_usage_micros", "updated_at")
    allow_add = False
    allow_delete = False

    @admin.display(description="Balance", ordering="balance_cents")
    def balance(self, obj):
        return cents(obj.balance_cents)

    def save_model(self, request, obj, form, change):
        ai_balance_settings_save(balance=obj)


@admin.register(AiLedgerEntry)
class AiLedgerEntryAdmin(admin.ModelAdmin):
    """Append-only: nobody adds, edits or deletes ledger rows here."""

    read_only_model = True
    list_display = ("created_at", "tenant", "kind", "amount", "balance_after", "note", "created_by", "idempotency_key")
    list_filter = ("kind", "created_at")
    search_fields = ("tenant__slug", "tenant__name", "note", "public_id", "idempotency_key")
    list_select_related = ("tenant", "created_by")
    date_hierarchy = "created_at"

    @admin.display(description="Amount", ordering="amount_cents")
    def amount(self, obj):
        return cents(obj.amount_cents)

    @admin.display(description="Balance after")
    def balance_after(self, obj):
        return cents(obj.balance_after_cents)


@admin.register(AiUsageLog)
class AiUsageLogAdmin(admin.ModelAdmin):
    read_only_model = True
    list_display = (
        "created_at",
        "tenant",
        "kind",
        "model",
        "input_tokens",
        "output_tokens",
        "audio_seconds",
        "included",
        "billed_cents",
    )
    list_filter = ("kind", "included", "created_at")
    search_fields = ("tenant__slug", "tenant__name", "reference", "model")
    list_select_related = ("tenant",)
    date_hierarchy = "created_at"


@admin.register(AiHold)
class AiHoldAdmin(admin.ModelAdmin):
    """What open AI calls have set aside (``apps.billing.hold_services``); read-only."""

    read_only_model = True
    list_display = ("created_at", "tenant", "kind", "units", "included_units", "held_cents", "status", "reference")
    list_filter = ("status", "kind", "created_at")
    search_fields = ("tenant__slug", "tenant__name", "reference", "public_id")
    list_select_related = ("tenant",)
    date_hierarchy = "created_at"
