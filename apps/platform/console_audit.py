"""Every console write leaves an audit row, whichever page makes it.

Pages whose writes go through an audited service (``@audited``) record there; ``AuditedConsoleWrites``
records the rest (a plan's contracts, feature keys, a tenant's branding ...) as
``console.<model>.<add|change|delete>`` with the stored columns before and after (credentials
redacted by ``apps.audit``). When a page's save already recorded a row, nothing is added.
"""

from apps.audit.context import audit_watch
from apps.audit.services import audit_record, model_fields, snapshot, stored


def _action(obj, verb: str) -> str:
    return f"console.{obj._meta.model_name}.{verb}"


def _tenant(obj):
    return getattr(obj, "tenant_id", None) if obj._meta.model_name != "tenant" else obj.pk


class AuditedConsoleWrites:
    """Mixin before the page's ``ModelAdmin`` (``console_admin_class`` puts it there)."""

    def save_model(self, request, obj, form, change):
        fields = model_fields(type(obj))
        before = stored(obj, fields) if change else None
        with audit_watch() as written:
            super().save_model(request, obj, form, change)
        if not written:
            after = snapshot(obj, fields)
            verb = "change" if change else "add"
            audit_record(action=_action(obj, verb), target=obj, before=before, after=after, tenant=_tenant(obj))

    def delete_model(self, request, obj):
        before, target, tenant = snapshot(obj, model_fields(type(obj))), _target(obj), _tenant(obj)
        with audit_watch() as written:
            super().delete_model(request, obj)
        if not written:
            audit_record(action=_action(obj, "delete"), target=target, before=before, tenant=tenant)

    def delete_queryset(self, request, queryset):
        rows = [
            (_action(obj, "delete"), _target(obj), snapshot(obj, model_fields(type(obj))), _tenant(obj))
            for obj in queryset
        ]
        with audit_watch() as written:
            super().delete_queryset(request, queryset)
        if not written:
            for action, target, before, tenant in rows:
                audit_record(action=action, target=target, before=before, tenant=tenant)

    def save_formset(self, request, form, formset, change):
        """Inline rows (a plan's feature and quota contracts, a tenant's domains ...)."""
        with audit_watch() as written:
            super().save_formset(request, form, formset, change)
        if written:
            return
        for obj in getattr(formset, "new_objects", ()):
            after = snapshot(obj, model_fields(type(obj)))
            audit_record(action=_action(obj, "add"), target=obj, after=after, tenant=_tenant(obj))
        for obj, changed in getattr(formset, "changed_objects", ()):
            after = snapshot(obj, [name for name in model_fields(type(obj)) if name.removesuffix("_id") in changed])
            audit_record(action=_action(obj, "change"), target=obj, after=after, tenant=_tenant(obj))
        for obj in getattr(formset, "deleted_objects", ()):
            audit_record(action=_action(obj, "delete"), target=_target(obj), tenant=_tenant(obj))


def _target(obj) -> tuple[str, str]:
    """Taken before a delete: Django clears the primary key of a deleted instance."""
    return obj._meta.model_name, str(getattr(obj, "public_id", None) or obj.pk)
