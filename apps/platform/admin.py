"""The platform console's composed pages: tenants (with their subscription, balance, staff, domains
and ledger inline, top-up / suspend / reactivate / change-plan actions, 30-day AI usage) and users.

Every other app registers its own pages in its ``admin.py``; the role rules and secret hiding come
from ``apps.platform.console.ConsoleSite``, which every registration goes through.
"""

import uuid
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.forms.models import BaseInlineFormSet
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from apps.billing import selectors as billing_selectors
from apps.billing import services as billing_services
from apps.billing.models import AiBalance, AiLedgerEntry
from apps.billing.services import ai_balance_settings_save
from apps.developer.admin_forms import AllowedDomainConsoleForm, AllowedDomainFormSet
from apps.developer.models import AllowedDomain
from apps.plans import services as plan_services
from apps.plans.models import Plan, Subscription
from apps.platform import charts
from apps.platform.admin_forms import TenantConsoleForm, UserConsoleForm
from apps.platform.console import cents
from apps.tenants import services as tenant_services
from apps.tenants.models import PlatformRole, Tenant, User, platform_writer
from ringnity.api.errors import ApiError

RECENT_LEDGER_ROWS = 20


class TopUpForm(forms.Form):
    amount_usd = forms.DecimalField(
        label="Amount (USD)",
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal(billing_services.MAX_TOP_UP_CENTS) / 100,
        help_text="e.g. 50 or 19.99",
    )
    note = forms.CharField(max_length=500, required=False)
    # One token per rendered form: a double submit tops up once (Idempotency-Key of the service).
    request_token = forms.CharField(widget=forms.HiddenInput, initial=lambda: uuid.uuid4().hex)

    def amount_cents(self) -> int:
        return int(self.cleaned_data["amount_usd"] * 100)


class ChangePlanForm(forms.Form):
    plan = forms.ModelChoiceField(queryset=Plan.objects.all())


# --- inlines --------------------------------------------------------------------------


class SubscriptionInline(admin.StackedInline):
    model = Subscription
    fields = ("plan", "status", "current_period_start", "current_period_end")
    extra = 0
    max_num = 1


class StaffInline(admin.TabularInline):
    model = User
    fk_name = "tenant"
    verbose_name_plural = "Staff"
    read_only_model = True
    fields = ("username", "name", "email", "role", "is_active", "presence")
    readonly_fields = fields
    show_change_link = True
    extra = 0


class AllowedDomainInline(admin.TabularInline):
    model = AllowedDomain
    form = AllowedDomainConsoleForm
    formset = AllowedDomainFormSet
    fields = ("domain", "created_at")
    readonly_fields = ("created_at",)
    extra = 0


class BalanceSettingsFormSet(BaseInlineFormSet):
    """Saves through ``ai_balance_settings_save``, so a stale row never overwrites the balance."""

    def save_existing(self, form, obj, commit=True):
        obj = form.save(commit=False)
        return ai_balance_settings_save(balance=obj) if commit else obj

    def save_new(self, form, commit=True):
        obj = super().save_new(form, commit=False)
        return ai_balance_settings_save(balance=obj) if commit else obj


class AiBalanceInline(admin.StackedInline):
    model = AiBalance
    formset = BalanceSettingsFormSet
    allow_delete = False
    fields = (
        "balance_cents",
        "overage_enabled",
        "block_on_zero",
        "auto_top_up_enabled",
        "auto_top_up_threshold_cents",
        "auto_top_up_amount_cents",
        "updated_at",
    )
    readonly_fields = ("balance_cents", "updated_at")
    extra = 0
    max_num = 1


class LatestRowsFormSet(BaseInlineFormSet):
    """Only the newest ``RECENT_LEDGER_ROWS`` rows of the tenant (a sliced queryset cannot be filtered later)."""

    def get_queryset(self):
        if not hasattr(self, "_latest"):
            queryset = super().get_queryset().order_by("-created_at", "-id")
            ids = list(queryset.values_list("pk", flat=True)[:RECENT_LEDGER_ROWS])
            self._latest = queryset.filter(pk__in=ids)
        return self._latest


class RecentLedgerInline(admin.TabularInline):
    model = AiLedgerEntry
    verbose_name_plural = f"AI ledger (latest {RECENT_LEDGER_ROWS})"
    read_only_model = True
    fields = ("created_at", "kind", "amount_cents", "balance_after_cents", "note", "created_by")
    readonly_fields = fields
    extra = 0
    ordering = ("-created_at", "-id")

    formset = LatestRowsFormSet


# --- the tenant page ----------------------------------------------------------------------


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    form = TenantConsoleForm
    # "balance", not "ai_balance": a list column named like the reverse one-to-one accessor shows the
    # related row's str() instead of calling the method.
    list_display = ("slug", "name", "public_id", "plan", "subscription_status", "balance", "is_active", "created_at")
    list_filter = ("is_active", "subscription__plan", "subscription__status")
    search_fields = ("slug", "name", "company_name", "email", "public_id")
    list_select_related = ("subscription__plan", "ai_balance")
    readonly_fields = (
        "public_id",
        "public_widget_key",
        "ai_balance_display",
        "console_links",
        "ai_usage_chart",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("slug", "name", "company_name", "email", "phone", "is_active")}),
        ("Console", {"fields": ("ai_balance_display", "console_links")}),
        ("AI usage, last 30 days (UTC)", {"fields": ("ai_usage_chart",)}),
        ("Profile", {"classes": ("collapse",), "fields": ("timezone", "industry", "logo_url", "branding")}),
        ("Identifiers", {"fields": ("public_id", "public_widget_key", "created_at", "updated_at")}),
    )
    inlines = [SubscriptionInline, AiBalanceInline, StaffInline, AllowedDomainInline, RecentLedgerInline]
    actions = ["top_up_ai_balance", "suspend_tenants", "reactivate_tenants", "change_plan"]
    allow_add = False  # tenants are created with their owner: manage.py create_tenant / the sign-up API
    allow_delete = False  # suspend instead: deleting would also delete the append-only AI ledger

    @admin.display(description="Plan", ordering="subscription__plan__slug")
    def plan(self, obj):
        subscription = getattr(obj, "subscription", None)
        return subscription.plan.slug if subscription else "— (free)"

    @admin.display(description="Subscription")
    def subscription_status(self, obj):
        subscription = getattr(obj, "subscription", None)
        return subscription.status if subscription else "none"

    @admin.display(description="AI balance", ordering="ai_balance__balance_cents")
    def balance(self, obj):
        balance = getattr(obj, "ai_balance", None)
        return cents(balance.balance_cents if balance else 0)

    @admin.display(description="AI balance")
    def ai_balance_display(self, obj):
        balance = AiBalance.objects.filter(tenant=obj).first()
        return format_html('<strong id="ai-balance">{}</strong>', cents(balance.balance_cents if balance else 0))

    @admin.display(description="Daily")
    def ai_usage_chart(self, obj):
        if obj.pk is None:
            return "—"
        days = billing_selectors.ai_usage_daily(tenant=obj, days=30)
        totals = {key: sum(d[key] for d in days) for key in ("chat_replies", "voice_minutes", "retail_cents")}
        return format_html(
            '<div id="ai-usage-inline" style="max-width: 800px">{}</div>'
            "<p>{} AI chat replies, {} AI voice minutes, retail value {} &middot; "
            '<a href="{}">day by day</a></p>',
            mark_safe(charts.daily_usage_svg(days)),  # noqa: S308  (built from numbers, labels escaped)
            totals["chat_replies"],
            totals["voice_minutes"],
            cents(totals["retail_cents"]),
            reverse("admin:tenants_tenant_ai_usage", args=[obj.pk]),
        )

    @admin.display(description="Pages")
    def console_links(self, obj):
        if obj.pk is None:
            return "—"
        return format_html(
            '<a class="button" id="top-up-link" href="{}">Top up AI balance</a> &nbsp; {}',
            reverse("admin:tenants_tenant_top_up", args=[obj.pk]),
            self.console_links_read_only(obj),
        )

    @admin.display(description="Pages")
    def console_links_read_only(self, obj):
        if obj.pk is None:
            return "—"
        return format_html(
            '<a class="button" href="{}">AI usage (30 days)</a>',
            reverse("admin:tenants_tenant_ai_usage", args=[obj.pk]),
        )

    def get_fieldsets(self, request, obj=None):
        if platform_writer(request.user):
            return self.fieldsets
        # Support: no top-up button (the page would answer 403 anyway).
        return [
            (
                name,
                {
                    **opts,
                    "fields": tuple("console_links_read_only" if f == "console_links" else f for f in opts["fields"]),
                },
            )
            for name, opts in self.fieldsets
        ]

    # --- custom pages ---

    def get_urls(self):
        custom = [
            path("<int:tenant_id>/top-up/", self.admin_site.admin_view(self.top_up_view), name="tenants_tenant_top_up"),
            path(
                "<int:tenant_id>/ai-usage/",
                self.admin_site.admin_view(self.ai_usage_view),
                name="tenants_tenant_ai_usage",
            ),
        ]
        return custom + super().get_urls()

    def _context(self, request, title: str, **extra) -> dict:
        return {**self.admin_site.each_context(request), "opts": self.model._meta, "title": title, **extra}

    def top_up_view(self, request, tenant_id: int):
        if not platform_writer(request.user):
            raise PermissionDenied
        tenant = get_object_or_404(Tenant, pk=tenant_id)
        form = TopUpForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            change = self._top_up(request, tenant, form)
            if change is not None:
                return redirect("admin:tenants_tenant_change", tenant.pk)
        return TemplateResponse(
            request,
            "admin/platform/top_up.html",
            self._context(request, f"Top up AI balance: {tenant}", form=form, tenants=[tenant], single=tenant),
        )

    def _top_up(self, request, tenant, form):
        try:
            change = billing_services.ai_balance_top_up(
                tenant=tenant,
                amount_cents=form.amount_cents(),
                note=form.cleaned_data["note"],
                actor=request.user,
                idempotency_key=f"console:{form.cleaned_data['request_token']}",
            )
        except ApiError as exc:
            self.message_user(request, f"{tenant.slug}: {exc.message} {' '.join(exc.details)}", messages.ERROR)
            return None
        self.message_user(
            request,
            f"{tenant.slug}: topped up {cents(change.amount_cents)}; balance "
            f"{cents(change.balance_before_cents)} → {cents(change.balance_after_cents)}.",
            messages.SUCCESS,
        )
        return change

    def ai_usage_view(self, request, tenant_id: int):
        tenant = get_object_or_404(Tenant, pk=tenant_id)
        days = billing_selectors.ai_usage_daily(tenant=tenant, days=30)
        totals = {key: sum(d[key] for d in days) for key in ("chat_replies", "voice_minutes", "retail_cents")}
        return TemplateResponse(
            request,
            "admin/platform/ai_usage.html",
            self._context(
                request,
                f"AI usage, last 30 days: {tenant}",
                tenant=tenant,
                days=days,
                totals=totals,
                retail=cents(totals["retail_cents"]),
                chart=mark_safe(charts.daily_usage_svg(days)),  # noqa: S308  (built from numbers, labels escaped)
            ),
        )

    # --- actions ---

    @admin.action(description="Top up AI balance", permissions=["change"])
    def top_up_ai_balance(self, request, queryset):
        form = TopUpForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            token = form.cleaned_data["request_token"]
            for tenant in queryset:
                form.cleaned_data["request_token"] = f"{token}:{tenant.pk}"
                self._top_up(request, tenant, form)
            return None
        return TemplateResponse(
            request,
            "admin/platform/top_up.html",
            self._context(request, "Top up AI balance", form=form, tenants=list(queryset), action="top_up_ai_balance"),
        )

    @admin.action(description="Suspend selected tenants", permissions=["change"])
    def suspend_tenants(self, request, queryset):
        for tenant in queryset:
            tenant_services.tenant_set_active(tenant=tenant, active=False)
        self.message_user(request, f"Suspended {queryset.count()} tenant(s).", messages.SUCCESS)

    @admin.action(description="Reactivate selected tenants", permissions=["change"])
    def reactivate_tenants(self, request, queryset):
        for tenant in queryset:
            tenant_services.tenant_set_active(tenant=tenant, active=True)
        self.message_user(request, f"Reactivated {queryset.count()} tenant(s).", messages.SUCCESS)

    @admin.action(description="Change plan", permissions=["change"])
    def change_plan(self, request, queryset):
        form = ChangePlanForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            plan = form.cleaned_data["plan"]
            for tenant in queryset:
                plan_services.subscription_set(tenant=tenant, plan_slug=plan.slug)
            self.message_user(request, f"Moved {queryset.count()} tenant(s) to {plan.slug}.", messages.SUCCESS)
            return None
        return TemplateResponse(
            request,
            "admin/platform/change_plan.html",
            self._context(request, "Change plan", form=form, tenants=list(queryset), action="change_plan"),
        )


# --- users ------------------------------------------------------------------------------


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    """Platform operators and tenant staff. Accounts are created with the management commands or the API."""

    form = UserConsoleForm
    list_display = ("__str__", "email", "tenant", "role", "platform_role", "is_active", "is_staff", "date_joined")
    list_filter = ("platform_role", "role", "is_active", "is_staff")
    search_fields = ("email", "username", "name", "public_id", "tenant__slug")
    list_select_related = ("tenant",)
    allow_add = False
    allow_delete = False  # deactivate instead; ledger rows and sessions keep pointing at the user
    fields = (
        "public_id",
        "tenant",
        "email",
        "username",
        "name",
        "role",
        "platform_role",
        "is_active",
        "is_staff",
        "is_superuser",
        "department",
        "position",
        "presence",
        "last_login",
        "date_joined",
    )
    readonly_fields = ("public_id", "tenant", "role", "last_login", "date_joined", "department", "position")

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if getattr(request.user, "platform_role", "") != PlatformRole.OWNER:
            # Only owners grant or take console powers: that includes switching an operator off and
            # changing the e-mail an operator signs in with.
            fields += ["platform_role", "is_staff", "is_superuser"]
            if obj is not None and obj.is_platform_operator:
                fields += ["email", "is_active"]
        return fields

    def save_model(self, request, obj, form, change):
        tenant_services.user_console_save(user=obj)
