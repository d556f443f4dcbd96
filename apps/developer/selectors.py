"""Reads for the dashboard's Developer settings: allowed domains, readiness, Server API credentials."""

from __future__ import annotations

from apps.developer.capabilities import service_capabilities
from apps.developer.domains import origin_allowed, parse_origin
from apps.developer.models import AllowedDomain, ServerApiKey
from apps.tenants.models import Tenant


def allowed_domains_list(*, tenant: Tenant) -> list[str]:
    return list(AllowedDomain.objects.for_tenant(tenant).order_by("domain").values_list("domain", flat=True))


def server_api_key_list(*, tenant: Tenant):
    """All of the tenant's credentials, active and disabled, newest first."""
    return ServerApiKey.objects.for_tenant(tenant).order_by("-created_at", "-id")


def developer_settings(*, tenant: Tenant) -> dict:
    return {
        "tenant": tenant,
        "allowed_domains": allowed_domains_list(tenant=tenant),
        "public_key": tenant.public_widget_key,
        "services": service_capabilities(tenant, include_reasons=True),
    }


def developer_readiness(*, tenant: Tenant, origin: str = "", slug: str = "", service: str = "") -> dict:
    """What the SDK would meet for this origin/slug/service: the checks, each with its answer.

    The tenant is always the caller's; ``slug`` is only compared with it, never used to pick one.
    """
    domains = allowed_domains_list(tenant=tenant)
    all_services = service_capabilities(tenant, include_reasons=True)
    services = [c for c in all_services if c["key"] == service] if service else all_services
    checks: dict = {
        "tenant": {"slug": tenant.slug, "active": tenant.is_active},
        "allowedDomainCount": len(domains),
    }
    if slug:
        checks["tenant"]["slugMatches"] = slug.strip().lower() == tenant.slug
    if origin:
        matched = origin_allowed(origin, domains)
        checks["origin"] = {
            "origin": origin,
            "valid": parse_origin(origin) is not None,
            "allowed": matched is not None,
            **({"matchedDomain": matched} if matched else {}),
        }
    ai = [capability for capability in all_services if capability["key"].startswith("ai_")]
    ready = (
        tenant.is_active and (not origin or checks["origin"]["allowed"]) and checks["tenant"].get("slugMatches", True)
    )
    if service:
        ready = ready and bool(services) and services[0].get("allowed", False)
    return {
        "ready": ready,
        **checks,
        "services": services,
        "ai": {"services": {c["key"]: c["status"] for c in ai}, "ready": any(c.get("allowed") for c in ai)},
        "reports": {},
    }
