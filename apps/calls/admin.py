"""Platform console pages for call sessions and call links (plain ``django.contrib.admin``).

Every active platform operator with ``is_staff`` may read them; nobody adds, edits or deletes
a call here: its status only moves through ``apps.calls.services`` (the status machine and its
events). Platform owners and admins may revoke call links (the ``call_link_revoke`` service);
``platform_support`` reads only.
"""

from django.contrib import admin, messages

from apps.calls.link_services import call_link_revoke
from apps.calls.models import CallLink, CallSession
from apps.tenants.models import platform_writer


class ReadOnlyConsoleAdmin(admin.ModelAdmin):
    """Who reads is the console's role rule; these pages add, change and delete nothing."""

    list_per_page = 50
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields or ()

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CallSession)
class CallSessionAdmin(ReadOnlyConsoleAdmin):
    list_display = (
        "public_id",
        "tenant",
        "conversation_number",
        "type",
        "direction",
        "status",
        "started_at",
        "answered_at",
        "ended_at",
        "duration_seconds",
        "end_reason",
        "started_by_kind",
    )
    list_filter = ("status", "type", "direction", "started_by_kind", "tenant")
    list_select_related = ("tenant", "conversation")
    search_fields = ("public_id", "conversation__public_id")
    date_hierarchy = "started_at"
    ordering = ("-started_at", "-id")
    fields = (
        "public_id",
        "tenant",
        "conversation",
        "type",
        "direction",
        "status",
        "started_at",
        "answered_at",
        "ended_at",
        "duration_seconds",
        "end_reason",
        "metadata",
        "started_by_kind",
        "started_by_user",
        "ended_by_kind",
        "ended_by_user",
        "created_at",
        "updated_at",
    )

    @admin.display(description="Conversation", ordering="conversation__number")
    def conversation_number(self, obj: CallSession) -> str:
        return f"#{obj.conversation.number}"


@admin.register(CallLink)
class CallLinkAdmin(ReadOnlyConsoleAdmin):
    list_display = (
        "public_id",
        "tenant",
        "service",
        "conversation_number",
        "created_at",
        "expires_at",
        "used_at",
        "revoked_at",
    )
    list_filter = ("service", "tenant")
    list_select_related = ("tenant", "conversation")
    search_fields = ("public_id", "conversation__public_id")
    ordering = ("-created_at", "-id")
    fields = (
        "public_id",
        "tenant",
        "conversation",
        "service",
        "metadata",
        "created_by_kind",
        "created_at",
        "expires_at",
        "used_at",
        "call_session",
        "revoked_at",
    )
    actions = ["revoke_links"]

    @admin.display(description="Conversation", ordering="conversation__number")
    def conversation_number(self, obj: CallLink) -> str:
        return f"#{obj.conversation.number}"

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not platform_writer(request.user):
            actions.pop("revoke_links", None)
        return actions

    @admin.action(description="Revoke the selected call links")
    def revoke_links(self, request, queryset):
        if not platform_writer(request.user):
            self.message_user(request, "Only platform owners and admins revoke call links.", messages.ERROR)
            return
        links = list(queryset.select_related("tenant").filter(revoked_at__isnull=True))
        for link in links:
            call_link_revoke(tenant=link.tenant, link_id=link.public_id)
        self.message_user(request, f"Revoked {len(links)} call link(s).", messages.SUCCESS)
