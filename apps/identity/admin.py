"""Console pages for sign-in state (read-only; digests are never shown: ``apps.platform.console``)."""

from django.contrib import admin

from apps.identity.models import SessionFamily, WorkspaceEntryToken


@admin.register(SessionFamily)
class SessionFamilyAdmin(admin.ModelAdmin):
    read_only_model = True
    list_display = ("id", "user", "scope", "created_at", "revoked_at")
    list_filter = ("scope",)
    search_fields = ("user__email", "user__username")


@admin.register(WorkspaceEntryToken)
class WorkspaceEntryTokenAdmin(admin.ModelAdmin):
    read_only_model = True
    list_display = ("tenant", "user", "expires_at", "used_at", "created_at")
