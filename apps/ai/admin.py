"""Console pages for AI: routing mode per tenant, knowledge items (reindex action), AI conversations.

Plain ``django.contrib.admin`` (apps.platform's console helpers sit above this app's layer); the
console's role rules decide who reads and who writes (``apps.tenants.models.platform_writer``), these
pages narrow them: ``platform_owner`` and ``platform_admin`` set the routing mode and run
reindex/delete; nobody adds knowledge or AI conversations here (they come from the Admin SDK and
the visitor runtime).
Writes go through the services, so the same checks and tasks run as for the API.
"""

from django.contrib import admin, messages

from apps.ai import knowledge_services
from apps.ai.models import AiConversation, AiSettings, AiVoiceSession, KnowledgeDocument, RoutingMode
from apps.ai.services import routing_mode_set
from apps.tenants.models import platform_writer


class OperatorAdmin(admin.ModelAdmin):
    """Read-only pages (what an operator may change here has its own action or page)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return self.model.objects.cross_tenant().select_related("tenant")


@admin.register(AiSettings)
class AiSettingsAdmin(OperatorAdmin):
    list_display = ("tenant", "routing_mode", "updated_at")
    list_filter = ("routing_mode",)
    search_fields = ("tenant__name", "tenant__slug")
    fields = ("tenant", "routing_mode", "updated_at")

    def get_readonly_fields(self, request, obj=None):
        return ("updated_at",) if obj is None else ("tenant", "updated_at")

    def has_add_permission(self, request):
        return True  # for the writers of the console's role rules

    def has_change_permission(self, request, obj=None):
        return True

    def save_model(self, request, obj, form, change):
        routing_mode_set(tenant=obj.tenant, mode=obj.routing_mode or RoutingMode.HUMAN_ONLY)


@admin.register(KnowledgeDocument)
class KnowledgeDocumentAdmin(OperatorAdmin):
    list_display = ("title", "tenant", "kind", "status", "chunk_count", "size_bytes", "created_at", "indexed_at")
    list_filter = ("status", "kind")
    search_fields = ("title", "source", "public_id", "tenant__slug")
    readonly_fields = (
        "public_id",
        "tenant",
        "kind",
        "title",
        "source",
        "content_type",
        "size_bytes",
        "status",
        "status_reason",
        "chunk_count",
        "created_at",
        "indexed_at",
    )
    exclude = ("source_bytes",)
    actions = ["reindex_selected", "delete_selected_items"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("source_bytes")

    def get_actions(self, request):
        return super().get_actions(request) if platform_writer(request.user) else {}

    @admin.action(description="Reindex selected knowledge items")
    def reindex_selected(self, request, queryset):
        for document in queryset:
            knowledge_services.knowledge_document_reindex(tenant=document.tenant, document_id=document.public_id)
        self.message_user(request, f"{queryset.count()} item(s) queued for reindexing.", messages.SUCCESS)

    @admin.action(description="Delete selected knowledge items and their passages")
    def delete_selected_items(self, request, queryset):
        items = list(queryset)
        for document in items:
            knowledge_services.knowledge_document_delete(tenant=document.tenant, document_id=document.public_id)
        self.message_user(request, f"{len(items)} item(s) deleted.", messages.SUCCESS)


@admin.register(AiConversation)
class AiConversationAdmin(OperatorAdmin):
    list_display = (
        "public_id",
        "tenant",
        "conversation",
        "reply_count",
        "handed_off_at",
        "handoff_reason",
        "created_at",
    )
    list_filter = ("handoff_reason",)
    search_fields = ("public_id", "conversation__public_id", "tenant__slug")
    readonly_fields = (*list_display, "visitor")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("conversation")


@admin.register(AiVoiceSession)
class AiVoiceSessionAdmin(OperatorAdmin):
    """Read-only: sessions are opened by the SDP exchange and ended by ``voice_services.voice_session_end``."""

    list_display = (
        "public_id",
        "tenant",
        "started_at",
        "max_seconds",
        "ended_at",
        "end_reason",
        "duration_seconds",
        "billed_seconds",
    )
    list_filter = ("end_reason",)
    search_fields = ("public_id", "provider_session_id", "tenant__slug")
    readonly_fields = (*list_display, "visitor", "conversation", "provider_session_id", "hold", "ends_at")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("conversation", "visitor", "hold")
