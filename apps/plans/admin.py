"""Console pages for the plan catalog and subscriptions (role rules come from the console's site)."""

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.db import models
from django.db.models import Count

from apps.plans.models import FeatureKey, Plan, PlanFeature, PlanQuota, QuotaKey, Subscription
from ringnity.admin_widgets import CollapsedJSONWidget

#: One line per feature/quota row: ``config`` opens on demand instead of a tall textarea per row.
COMPACT_ROWS = {
    models.JSONField: {"widget": CollapsedJSONWidget},
    models.CharField: {"widget": forms.TextInput(attrs={"size": 10})},
    models.BigIntegerField: {"widget": forms.NumberInput(attrs={"style": "width: 7em"})},
    models.IntegerField: {"widget": forms.NumberInput(attrs={"style": "width: 7em"})},
}


class CompactRows:
    """Inline rows that fit a 1,280 px window: no edit/add/view icons beside each key's picker
    (keys have their own pages), short text inputs and the collapsed ``config``."""

    formfield_overrides = COMPACT_ROWS

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None and isinstance(formfield.widget, RelatedFieldWidgetWrapper):
            formfield.widget.can_add_related = formfield.widget.can_change_related = False
            formfield.widget.can_view_related = formfield.widget.can_delete_related = False
        return formfield

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        formfield = super().formfield_for_choice_field(db_field, request, **kwargs)
        formfield.widget.attrs["style"] = "width: auto"
        return formfield


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


class PlanFeatureInline(CompactRows, admin.TabularInline):
    model = PlanFeature
    extra = 0
    fields = ("feature", "enabled", "config")
    autocomplete_fields = ("feature",)


class PlanQuotaInline(CompactRows, admin.TabularInline):
    model = PlanQuota
    extra = 0
    fields = ("quota", "value_type", "limit_value", "reset_period", "config")
    autocomplete_fields = ("quota",)


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
