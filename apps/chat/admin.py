"""Platform console pages for live chat: conversations (with a read-only transcript) and visitors.

Cross-tenant by nature (platform operators). Every operator may read; only platform owners and
admins may change a conversation's status, priority or subject or a visitor's details (or delete
one); support staff read only. Nobody adds rows here; transcripts, receipts and assignment
history are never edited here.
"""

from django.contrib import admin, messages

from apps.chat.conversation_services import conversation_update
from apps.chat.models import Assignment, Conversation, Message, Visitor
from ringnity.api.errors import ApiError


class OperatorPermissions:
    """What these pages allow beyond the console's role rules (which decide who reads and who writes):
    nobody adds, since conversations and visitors are only ever created by the chat services
    (numbering, tokens), and nobody deletes."""

    def has_add_permission(self, request, *args):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(OperatorPermissions, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_change_permission(self, request, obj=None):
        return False


class TranscriptInline(ReadOnlyInline):
    model = Message
    fields = ("created_at", "sender_type", "sender_agent", "message_type", "shown_body", "edited_at", "deleted_at")
    readonly_fields = fields
    ordering = ("created_at", "id")
    verbose_name_plural = "Transcript"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("sender_agent")

    @admin.display(description="Body")
    def shown_body(self, message):
        return "(deleted)" if message.deleted_at else message.body


class AssignmentInline(ReadOnlyInline):
    model = Assignment
    fields = ("created_at", "kind", "assigned_agent", "assigned_department", "assigned_by", "reason")
    readonly_fields = fields
    ordering = ("created_at", "id")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("assigned_agent", "assigned_department", "assigned_by")


@admin.register(Conversation)
class ConversationAdmin(OperatorPermissions, admin.ModelAdmin):
    list_display = ("__str__", "tenant", "status", "priority", "assigned_agent", "department", "last_message_at")
    list_filter = (
        "status",
        ("tenant", admin.RelatedOnlyFieldListFilter),
        ("assigned_agent", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("tenant", "assigned_agent", "department")
    search_fields = ("public_id", "subject", "visitor__public_id", "visitor__email")
    ordering = ("-last_message_at", "-id")
    list_per_page = 50
    fields = (
        "public_id",
        "number",
        "tenant",
        "visitor",
        "contact",
        "channel",
        "status",
        "priority",
        "subject",
        "department",
        "assigned_agent",
        "last_message_at",
        "closed_at",
        "created_at",
    )
    readonly_fields = tuple(f for f in fields if f not in ("status", "priority", "subject"))
    inlines = (AssignmentInline, TranscriptInline)

    def save_model(self, request, obj, form, change):
        """Through the service (events, closing time, the one-open-conversation rule), not a bare save."""
        original = Conversation.objects.cross_tenant().select_related("tenant", "visitor").get(pk=obj.pk)
        try:
            conversation_update(conversation=original, fields={k: form.cleaned_data[k] for k in form.changed_data})
        except ApiError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)


@admin.register(Visitor)
class VisitorAdmin(OperatorPermissions, admin.ModelAdmin):
    list_display = ("__str__", "tenant", "email", "verified", "contact", "created_at", "last_seen_at")
    list_filter = ("verified", ("tenant", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("tenant", "contact")
    search_fields = ("public_id", "name", "email", "external_id")
    ordering = ("-created_at",)
    list_per_page = 50
    fields = (
        "public_id",
        "tenant",
        "subject",
        "external_id",
        "name",
        "email",
        "phone",
        "verified",
        "contact",
        "created_at",
        "last_seen_at",
    )
    readonly_fields = (
        "public_id",
        "tenant",
        "subject",
        "external_id",
        "verified",
        "contact",
        "created_at",
        "last_seen_at",
    )
