"""Reads for tenants and staff."""

import re

from apps.tenants.models import StaffRole, Tenant, User
from ringnity.api.errors import not_found

CLIENT_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def tenant_get_by_slug(*, slug: str) -> Tenant | None:
    return Tenant.objects.filter(slug=(slug or "").strip().lower()).first()


def tenant_by_client_id_cross_tenant(client_id: str) -> Tenant:
    """Any tenant by its public id (platform API only); unknown or malformed (a NUL byte would be a database
    error) → 404."""
    tenant = Tenant.objects.filter(public_id=client_id).first() if CLIENT_ID_RE.fullmatch(client_id) else None
    if tenant is None:
        raise not_found("Tenant")
    return tenant


def staff_seat_count(tenant) -> int:
    """Active staff other than the owner: what the plan's ``agents`` quota limits (one query)."""
    return User.objects.filter(tenant=tenant, is_active=True).exclude(role=StaffRole.OWNER).count()
