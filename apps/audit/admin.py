"""The console's audit log page: every operator reads it, nobody adds, edits or deletes a row."""

import json

from django.contrib import admin
from django.utils.html import format_html

from apps.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    read_only_model = True
    list_display = ("created_at", "action", "tenant", "actor_kind", "actor_label", "target", "ip", "request_id")
    list_filter = ("actor_kind", "action", "created_at", ("tenant", admin.RelatedOnlyFieldListFilter))
    search_fields = ("action", "actor_id", "actor_label", "target_type", "target_id", "request_id", "ip")
    list_select_related = ("tenant",)
    date_hierarchy = "created_at"
    fields = (
        "created_at",
        "action",
        "tenant",
        "actor_kind",
        "actor_id",
        "actor_label",
        "target_type",
        "target_id",
        "before_json",
        "after_json",
        "ip",
        "request_id",
    )
    readonly_fields = fields

    @admin.display(description="Target")
    def target(self, obj):
        return f"{obj.target_type}:{obj.target_id}"

    @admin.display(description="Before")
    def before_json(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.before, indent=2, sort_keys=True))

    @admin.display(description="After")
    def after_json(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.after, indent=2, sort_keys=True))
