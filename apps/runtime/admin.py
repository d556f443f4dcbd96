"""Console page for push tokens registered by SDK runtimes (read-only; the token is a credential)."""

from django.contrib import admin

from apps.runtime.models import DevicePushToken


@admin.register(DevicePushToken)
class DevicePushTokenAdmin(admin.ModelAdmin):
    read_only_model = True
    list_display = ("public_id", "tenant", "platform", "provider", "audience", "enabled", "last_seen_at")
    list_filter = ("platform", "provider", "audience", "enabled")
    search_fields = ("public_id", "device_id", "external_id", "tenant__slug")
    exclude = ("token",)  # the push token itself is a credential
