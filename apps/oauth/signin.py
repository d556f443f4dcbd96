"""Sign-in on the Login with Ringnity pages, through the dashboards' own sign-in services.

``apps.identity.services.owner_authenticate`` / ``workspace_authenticate`` carry the checks, the
throttles (the dashboards' counters, so failures on either page count together) and the same
answer for an unknown account and a wrong password. The sign-in page names the workspace by its
slug, so this module finds that tenant first; an unknown slug is simply ``tenant=None``, which
answers like a wrong password.
"""

from __future__ import annotations

from apps.identity.services import owner_authenticate, workspace_authenticate
from apps.tenants.models import Tenant, User

__all__ = ["owner_authenticate", "workspace_sign_in"]


def workspace_sign_in(*, tenant_slug: str, username: str, password: str, ip: str) -> User:
    slug = (tenant_slug or "").strip().lower()
    tenant = Tenant.objects.filter(slug=slug).first() if slug else None
    return workspace_authenticate(tenant=tenant, tenant_slug=slug, username=username, password=password, ip=ip)
