"""Reads for tenants and staff."""

from apps.tenants.models import Tenant, User


def tenant_get_by_slug(*, slug: str) -> Tenant | None:
    return Tenant.objects.filter(slug=(slug or "").strip().lower()).first()


def staff_list(*, tenant: Tenant):
    return User.objects.filter(tenant=tenant).select_related("department", "position").order_by("id")
