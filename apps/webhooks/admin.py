"""Console pages: webhook endpoints (never a secret), deliveries with their attempts, events.

The platform console wraps every registered admin with its role rules (support sees, owners and
admins change; ``apps.platform.console.ConsoleSite``), so these are plain ModelAdmins.
Everything is read-only here: endpoints are created and changed through the Server API (that is
where URLs are checked and secrets shown once), deliveries only move through their services. The
actions need the ``change`` permission, which the role rules give to owners and admins only.
"""

from django.contrib import admin, messages

from apps.webhooks import services
from apps.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent


class ReadOnlyConsole(admin.ModelAdmin):
    """No add, no edit, no delete (history is kept); pages and the admin's own actions only."""

    list_per_page = 50

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields if field.name in self.get_fields(request, obj)]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyConsole):
    list_display = ("public_id", "tenant", "name", "url", "is_active", "disabled_reason", "failing_since", "created_at")
    list_filter = ("is_active", ("tenant", admin.RelatedOnlyFieldListFilter))
    search_fields = ("public_id", "name", "url", "tenant__slug", "tenant__name")
    list_select_related = ("tenant",)
    fields = (
        "public_id",
        "tenant",
        "name",
        "url",
        "events",
        "secret_preview",
        "is_active",
        "disabled_reason",
        "disabled_at",
        "failing_since",
        "created_at",
        "updated_at",
    )
    actions = ["disable_endpoints"]

    @admin.action(description="Disable selected endpoints (history kept)", permissions=["change"])
    def disable_endpoints(self, request, queryset):
        for endpoint in queryset.select_related("tenant"):
            services.endpoint_disable(endpoint=endpoint, reason=f"Disabled in the console by {request.user.email}.")
        self.message_user(request, f"{queryset.count()} endpoint(s) disabled.", messages.SUCCESS)


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fk_name = "delivery"
    extra = 0
    can_delete = False
    ordering = ("number",)
    fields = (
        "number",
        "status",
        "response_status",
        "error_message",
        "duration_ms",
        "started_at",
        "finished_at",
        "url",
        "response_body",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyConsole):
    list_display = (
        "public_id",
        "tenant",
        "endpoint",
        "event_type",
        "status",
        "attempt_count",
        "last_response_status",
        "next_attempt_at",
        "created_at",
        "delivered_at",
    )
    list_filter = (
        "status",
        ("tenant", admin.RelatedOnlyFieldListFilter),
        ("endpoint", admin.RelatedOnlyFieldListFilter),
        "event_type",
    )
    search_fields = ("public_id", "endpoint__public_id", "endpoint__url", "tenant__slug")
    list_select_related = ("tenant", "endpoint")
    fields = (
        "public_id",
        "tenant",
        "endpoint",
        "event",
        "event_type",
        "status",
        "attempt_count",
        "max_attempts",
        "next_attempt_at",
        "last_response_status",
        "last_error",
        "created_at",
        "delivered_at",
    )
    inlines = [WebhookAttemptInline]
    actions = ["redeliver"]

    @admin.action(description="Redeliver (one more attempt under the same webhook-id)", permissions=["change"])
    def redeliver(self, request, queryset):
        for delivery in queryset:
            services.delivery_redeliver(delivery=delivery)
        self.message_user(request, f"{queryset.count()} delivery(ies) queued for one more attempt.", messages.SUCCESS)


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyConsole):
    list_display = ("public_id", "tenant", "event_type", "created_at")
    list_filter = ("event_type", ("tenant", admin.RelatedOnlyFieldListFilter))
    search_fields = ("public_id", "tenant__slug")
    list_select_related = ("tenant",)
    fields = ("public_id", "tenant", "event_type", "payload", "created_at")
