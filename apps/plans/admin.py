"""Console pages for the plan catalog and subscriptions (role rules come from the console's site)."""

from django.contrib import admin
from django.db import models
from django.db.models import Count

from apps.plans.models import FeatureKey, Plan, PlanFeature, PlanQuota, QuotaKey, Subscription
from ringnity.admin_widgets import CollapsedJSONWidget

#: One line per feature/quota row: ``config`` opens on demand instead of a tall textarea per row.
COMPACT_ROWS = {models.JSONField: {"widget": CollapsedJSONWidget}}


@admin.register(FeatureKey)
class FeatureKeyAdmin(admin.ModelAdmin):
    list_display = ("key", "name", "category", "status", "sort_order")
    list_filter = ("category", "status")
    search_fields = ("key", "name", "description")
    ordering = ("sort_order", "key")


@admin.register(QuotaKey)
class QuotaKeyAdmin(admin.ModelAdmin):
    list_display = ("key", "name", "unit", "category", "sort_order")
    list_filter = ("category",)
    search_fields = ("key", "name", "description")


class PlanFeatureInline(admin.TabularInline):
    model = PlanFeature
    extra = 0
    fields = ("feature", "enabled", "config")
    autocomplete_fields = ("feature",)
    formfield_overrides = COMPACT_ROWS


class PlanQuotaInline(admin.TabularInline):
    model = PlanQuota
    extra = 0
    fields = ("quota", "value_type", "limit_value", "reset_period", "config")
    autocomplete_fields = ("quota",)
    formfield_overrides = COMPACT_ROWS


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "sort_order", "is_active", "subscriber_count", "public_id")
    list_filter = ("is_active",)
    search_fields = ("slug", "name", "public_id")
    readonly_fields = ("public_id", "created_at", "updated_at")
    inlines = [PlanFeatureInline, PlanQuotaInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_subscribers=Count("subscriptions"))

    @admin.display(description="Subscribers", ordering="_subscribers")
    def subscriber_count(self, obj):
        return obj._subscribers

    def allows_delete(self, request, obj=None):
        # A plan with subscribers is protected (PROTECT); make the button honest about it.
        return obj is None or not obj.subscriptions.exists()


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ("tenant", "plan", "status", "current_period_start", "current_period_end", "updated_at")
    list_filter = ("status", "plan")
    search_fields = ("tenant__slug", "tenant__name", "tenant__public_id")
    list_select_related = ("tenant", "plan")
    autocomplete_fields = ("tenant",)
    readonly_fields = ("created_at", "updated_at")
