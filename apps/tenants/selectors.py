"""Reads for tenants and staff."""

from apps.tenants.models import Tenant


def tenant_get_by_slug(*, slug: str) -> Tenant | None:
    return Tenant.objects.filter(slug=(slug or "").strip().lower()).first()
