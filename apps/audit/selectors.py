"""Reads of the audit log: one tenant's rows, or every tenant's (named as such) for operators."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.audit.models import AuditEntry


def _filtered(queryset: QuerySet, filters: dict) -> QuerySet:
    action = filters.get("action")
    if action:
        # "server_api_key." is every action on an entity; anything else is one action.
        queryset = (
            queryset.filter(action__startswith=action) if action.endswith(".") else queryset.filter(action=action)
        )
    if filters.get("actor_kind"):
        queryset = queryset.filter(actor_kind=filters["actor_kind"])
    if filters.get("actor_id"):
        queryset = queryset.filter(actor_id=filters["actor_id"])
    if filters.get("target_id"):
        queryset = queryset.filter(target_id=filters["target_id"])
    if filters.get("since"):
        queryset = queryset.filter(created_at__gte=filters["since"])
    if filters.get("until"):
        queryset = queryset.filter(created_at__lt=filters["until"])
    return queryset.select_related("tenant").order_by("-created_at", "-id")


def audit_entries(*, tenant, filters: dict) -> QuerySet:
    """The tenant's rows, newest first."""
    return _filtered(AuditEntry.objects.for_tenant(tenant), filters)


def audit_entries_cross_tenant(*, filters: dict, tenant=None, platform_only: bool = False) -> QuerySet:
    """Every tenant's rows (platform operators), or one tenant's, or only platform-level ones."""
    queryset = AuditEntry.objects.all()
    if tenant is not None:
        queryset = queryset.filter(tenant_id=tenant.pk)
    elif platform_only:
        queryset = queryset.filter(tenant__isnull=True)
    return _filtered(queryset, filters)
