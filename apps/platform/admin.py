"""The platform console (Django admin): plan catalog, subscriptions, AI pricing, balances and usage.

Access by platform role, not by Django's per-model permission rows:

* every active platform operator with ``is_staff`` sees every page;
* ``platform_owner`` and ``platform_admin`` change things;
* ``platform_support`` changes nothing (no add/change/delete, no actions, no top-up form).

Ledger and usage rows are read-only for everybody: the balance moves only through
``apps.platform.services`` (the same top-up service as the API). The tenant models'
console pages are registered in ``apps.platform.admin_tenants``.
"""

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.db import models

from apps.platform.models import (
    AiBalance,
    AiLedgerEntry,
    AiPricing,
    AiUsageLog,
    FeatureKey,
    Plan,
    PlanFeature,
    PlanQuota,
    QuotaKey,
    Subscription,
    format_cents,
)
from ringnity.api.errors import ApiError
from ringnity.api.throttling import LoginThrottle, client_ip

WRITE_ROLES = frozenset({"platform_owner", "platform_admin"})


def is_operator(user) -> bool:
    return bool(user and user.is_active and user.is_staff and getattr(user, "is_platform_operator", False))


def can_write(user) -> bool:
    return is_operator(user) and user.platform_role in WRITE_ROLES


class RolePermissions:
    """Mixin for ModelAdmin and inlines: view for operators, writes for owner/admin, never for read-only models."""

    read_only_model = False
    allow_add = True
    allow_delete = True

    def has_module_permission(self, request):
        return is_operator(request.user)

    def has_view_permission(self, request, obj=None):
        return is_operator(request.user)

    def has_add_permission(self, request, *args):
        return self.allow_add and not self.read_only_model and can_write(request.user)

    def has_change_permission(self, request, obj=None):
        return not self.read_only_model and can_write(request.user)

    def has_delete_permission(self, request, obj=None):
        return self.allow_delete and not self.read_only_model and can_write(request.user)


class ConsoleAdmin(RolePermissions, admin.ModelAdmin):
    list_per_page = 50
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


console_login_throttle = LoginThrottle("console-login")


class ThrottledAdminAuthenticationForm(AdminAuthenticationForm):
    """The console's sign-in form, with the API's login throttle (per IP and per e-mail)."""

    def clean(self):
        ip, email = client_ip(self.request), (self.data.get("username") or "").strip().lower()
        try:
            console_login_throttle.check(ip=ip, account=email)
        except ApiError as exc:
            wait = exc.headers.get("Retry-After", "a few")
            raise ValidationError(
                f"Too many failed sign-in attempts; retry in {wait} seconds.", code="throttled"
            ) from exc
        try:
            cleaned = super().clean()
        except ValidationError:
            console_login_throttle.record_failure(ip=ip, account=email)
            raise
        console_login_throttle.reset(account=email)
        return cleaned


admin.site.login_form = ThrottledAdminAuthenticationForm


def cents(value: int | None) -> str:
    if value is None:
        return "—"
    return format_cents(value)


# --- plan catalog ------------------------------------------------------------------


@admin.register(FeatureKey)
class FeatureKeyAdmin(ConsoleAdmin):
    list_display = ("key", "name", "category", "status", "sort_order")
    list_filter = ("category", "status")
    search_fields = ("key", "name", "description")
    ordering = ("sort_order", "key")


@admin.register(QuotaKey)
class QuotaKeyAdmin(ConsoleAdmin):
    list_display = ("key", "name", "unit", "category", "sort_order")
    list_filter = ("category",)
    search_fields = ("key", "name", "description")


class PlanFeatureInline(RolePermissions, admin.TabularInline):
    model = PlanFeature
    extra = 0
    fields = ("feature", "enabled", "config")
    autocomplete_fields = ("feature",)


class PlanQuotaInline(RolePermissions, admin.TabularInline):
    model = PlanQuota
    extra = 0
    fields = ("quota", "value_type", "limit_value", "reset_period", "config")
    autocomplete_fields = ("quota",)


@admin.register(Plan)
class PlanAdmin(ConsoleAdmin):
    list_display = ("slug", "name", "sort_order", "is_active", "subscriber_count", "public_id")
    list_filter = ("is_active",)
    search_fields = ("slug", "name", "public_id")
    readonly_fields = ("public_id", "created_at", "updated_at")
    inlines = [PlanFeatureInline, PlanQuotaInline]

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(_subscribers=Count("subscriptions"))

    @admin.display(description="Subscribers", ordering="_subscribers")
    def subscriber_count(self, obj):
        return obj._subscribers

    def has_delete_permission(self, request, obj=None):
        # A plan with subscribers is protected (PROTECT); make the button honest about it.
        if obj is not None and obj.subscriptions.exists():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Subscription)
class SubscriptionAdmin(ConsoleAdmin):
    list_display = ("tenant", "plan", "status", "current_period_start", "current_period_end", "updated_at")
    list_filter = ("status", "plan")
    search_fields = ("tenant__slug", "tenant__name", "tenant__public_id")
    list_select_related = ("tenant", "plan")
    autocomplete_fields = ("tenant",)
    readonly_fields = ("created_at", "updated_at")


# --- AI pricing, balances, ledger, usage -----------------------------------------------


@admin.register(AiPricing)
class AiPricingAdmin(ConsoleAdmin):
    list_display = ("__str__", "provider", "chat_model", "voice_model", "markup_multiplier", "updated_at")
    readonly_fields = ("updated_at", "updated_by", "derived_figures")
    allow_delete = False

    def has_add_permission(self, request, *args):
        return super().has_add_permission(request) and not AiPricing.objects.exists()

    @admin.display(description="Derived (per the formulas in apps/platform/pricing.py)")
    def derived_figures(self, obj):
        from apps.platform.pricing import derived

        return ", ".join(f"{k}={v}" for k, v in derived(obj).items())

    def save_model(self, request, obj, form, change):
        from django.utils import timezone

        obj.pk = 1
        obj.updated_at = timezone.now()
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


def save_balance_settings(obj: AiBalance) -> AiBalance:
    """Saves a console-edited balance's settings through the locked service.

    ``obj`` was loaded before the form was validated; saving it whole would write back its
    (possibly stale) ``balance_cents`` and ``unbilled_usage_micros`` over a concurrent top-up
    or usage debit, and the balance would no longer equal its ledger.
    """
    from apps.platform.services import BALANCE_SETTINGS_FIELDS, ai_balance_settings_update

    return ai_balance_settings_update(
        tenant=obj.tenant, changes={field: getattr(obj, field) for field in BALANCE_SETTINGS_FIELDS}
    )


@admin.register(AiBalance)
class AiBalanceAdmin(ConsoleAdmin):
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
        save_balance_settings(obj)


@admin.register(AiLedgerEntry)
class AiLedgerEntryAdmin(ConsoleAdmin):
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
class AiUsageLogAdmin(ConsoleAdmin):
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


#: Column names that hold a credential in third-party models (OAuth toolkit tokens and grant codes,
#: simplejwt's outstanding refresh JWTs, client secrets).
SECRET_FIELD_NAMES = frozenset({"token", "token_checksum", "code", "client_secret", "secret"})


class HiddenSecrets:
    """For a model that holds credentials: a list without them, no search on them, no object pages.

    Such models often print the credential as their ``str()`` (OAuth toolkit tokens and grants),
    which the admin shows in titles, breadcrumbs, delete pages and the action log, so their rows
    have no page at all; and the console never creates, edits or deletes them (no minting).
    """

    secret_fields: tuple[str, ...] = ()
    read_only_model = True

    def get_list_display(self, request):
        shown = [name for name in super().get_list_display(request) if name not in self.secret_fields]
        return [name for name in shown if name != "__str__"] or ["pk"]

    def get_list_display_links(self, request, list_display):
        return None

    def get_search_fields(self, request):
        # A substring search on a secret is an oracle that spells it out one character at a time.
        return [name for name in super().get_search_fields(request) if name.split("__")[0] not in self.secret_fields]

    def has_view_permission(self, request, obj=None):
        return obj is None and super().has_view_permission(request, obj)


def _is_secret(name: str) -> bool:
    return name in SECRET_FIELD_NAMES or name.endswith(("secret", "_token"))


def _secret_fields(model) -> tuple[str, ...]:
    """Credential columns by name (also ``signing_secret``, ``push_token``, ... of admins added later)."""
    return tuple(
        field.name for field in model._meta.concrete_fields if not field.is_relation and _is_secret(field.name)
    )


def apply_console_roles(site=admin.site) -> None:
    """Gives every other registered admin (auth, token blacklist, OAuth toolkit, later apps) the console's
    role rules, so support can look at everything and change nothing anywhere, and hides the credentials
    of the models that hold some (``HiddenSecrets``). Called from ``PlatformConfig.ready()``, after the
    admin's autodiscovery has imported every ``admin`` module.
    """
    for model, model_admin in list(site._registry.items()):
        if isinstance(model_admin, RolePermissions):
            continue
        base = type(model_admin)
        secrets = _secret_fields(model)
        bases = (HiddenSecrets, RolePermissions, base) if secrets else (RolePermissions, base)
        site.unregister(model)
        site.register(model, type(f"Console{base.__name__}", bases, {"secret_fields": secrets}))


from apps.platform import admin_tenants  # noqa: E402, F401  (registers the tenant models' pages)
