"""Reads for SDK runtimes, the Server API tenant endpoints and the Admin SDK.

Bootstrap cache
---------------
``runtime_bootstrap`` answers ``GET /sdk/bootstrap`` from the cache after the first
call, without a database query. An entry is keyed by the slug (or the widget key's
digest) and records the tenant's *bootstrap version* and a fingerprint of its plan
entitlements. It is stale, and rebuilt, when

* the tenant, one of its allowed domains or service toggles is saved or deleted: the
  receivers below bump the tenant's version (now, and again on commit so that a
  request racing the writing transaction cannot re-cache old data for long);
* the plan changes: ``apps.platform.entitlements`` invalidates its own cached entry,
  so the fingerprint read through ``entitlements.for_tenant`` (cache-only on a hit)
  no longer matches;
* ``BOOTSTRAP_TTL_SECONDS`` passed (AI readiness depends on usage and balance,
  which change without a signal).

Bulk writes (``QuerySet.update``, ``bulk_create``) send no signals: code that changes
domains or toggles that way calls ``bootstrap_cache_invalidate(tenant=...)``.
The receivers are connected when this module is imported (``apps.chat``'s AppConfig
imports it at start-up).
"""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from apps.platform import entitlements
from apps.platform.capabilities import ai_readiness, service_capabilities
from apps.platform.models import AiBalance
from apps.tenants.models import AllowedDomain, Presence, ServiceToggle, StaffRole, Tenant, User
from apps.tenants.runtime_tokens import DEFAULT_TTL_SECONDS, SESSION_HEADER
from ringnity.api.errors import ApiError, ErrorCode

BOOTSTRAP_TTL_SECONDS = 120
AI_SERVICES = ("ai_chat", "ai_voice", "ai_video")
QUOTA_KEYS = (
    "agents",
    "allowed_domains",
    "server_api_keys",
    "oauth_clients",
    "webhooks",
    "contacts",
    "ai_chat_replies",
    "ai_voice_minutes",
    "knowledge_documents",
    "attachment_mb",
)
_COUNTED_QUOTAS = ("contacts", "ai_chat_replies", "ai_voice_minutes")


# --- shapes -------------------------------------------------------------------------


def tenant_payload(tenant: Tenant) -> dict:
    """The contract's ``Tenant``; ``email`` is omitted when blank."""
    data = {
        "clientId": tenant.public_id,
        "slug": tenant.slug,
        "name": tenant.name,
        "companyName": tenant.company_name,
        "phone": tenant.phone,
        "timezone": tenant.timezone,
        "isActive": tenant.is_active,
    }
    if tenant.email:
        data["email"] = tenant.email
    return data


def allowed_domains(*, tenant: Tenant) -> list[str]:
    return list(AllowedDomain.objects.for_tenant(tenant).order_by("domain").values_list("domain", flat=True))


def server_api_require_feature(*, tenant: Tenant) -> None:
    """Server API data routes need the plan feature ``server_api`` (403 FEATURE_NOT_AVAILABLE).

    ``GET /server/health`` does not: it only proves the key works.
    """
    entitlements.for_tenant(tenant).require_feature("server_api")


# --- bootstrap cache ----------------------------------------------------------------


def _version_key(tenant_pk) -> str:
    return f"rt:bootstrap:ver:{tenant_pk}"


def _tenant_version(tenant_pk) -> str:
    version = cache.get(_version_key(tenant_pk))
    if version is None:
        cache.add(_version_key(tenant_pk), uuid.uuid4().hex, timeout=None)
        version = cache.get(_version_key(tenant_pk))
    return version


def _bump(tenant_pk) -> None:
    cache.set(_version_key(tenant_pk), uuid.uuid4().hex, timeout=None)


def bootstrap_cache_invalidate(*, tenant=None, tenant_pk=None) -> None:
    """Makes every cached bootstrap of the tenant stale, now and after the current transaction."""
    pk = tenant_pk if tenant_pk is not None else tenant.pk
    _bump(pk)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _bump(pk))


@receiver([post_save, post_delete], sender=Tenant, dispatch_uid="runtime-bootstrap-tenant")
def _tenant_changed(sender, instance, **kwargs):
    bootstrap_cache_invalidate(tenant_pk=instance.pk)


@receiver([post_save, post_delete], sender=AllowedDomain, dispatch_uid="runtime-bootstrap-domain")
@receiver([post_save, post_delete], sender=ServiceToggle, dispatch_uid="runtime-bootstrap-toggle")
@receiver([post_save, post_delete], sender=AiBalance, dispatch_uid="runtime-bootstrap-ai-balance")  # ai_not_ready
def _tenant_setting_changed(sender, instance, **kwargs):
    bootstrap_cache_invalidate(tenant_pk=instance.tenant_id)


def _plan_fingerprint(tenant_pk) -> str:
    """The plan part of the tenant's entitlements (cache-only when entitlements are cached)."""
    ent = entitlements.for_tenant(Tenant(pk=tenant_pk))
    features = ",".join(f"{key}:{ent.feature_status(key)}" for key in ent.enabled_features())  # beta flips too
    raw = f"{ent.plan_id}|{ent.plan_slug}|{ent.subscription_status}|{features}"
    return hashlib.sha256(raw.encode()).hexdigest()


def _public_ident(slug: str | None, api_key: str | None) -> tuple[str, str]:
    """``(slug, api_key)`` as the lookup reads them: trimmed, the slug lowercased."""
    return (slug or "").strip().lower(), (api_key or "").strip()


def _lookup_key(slug: str | None, api_key: str | None, debug: bool) -> str:
    """The cache key of the tenant that ``tenant_resolve_public`` resolves for the same input."""
    slug, api_key = _public_ident(slug, api_key)
    ident = f"slug:{slug}" if slug else f"key:{api_key}"
    return f"rt:bootstrap:{hashlib.sha256(ident.encode()).hexdigest()}:{int(debug)}"


def tenant_resolve_public(*, slug: str | None = None, api_key: str | None = None) -> Tenant:
    """The tenant named by a public slug or widget key: 404 SDK_CLIENT_NOT_FOUND, 403 SDK_CLIENT_INACTIVE."""
    slug, api_key = _public_ident(slug, api_key)
    if not slug and not api_key:
        raise ApiError(
            ErrorCode.VALIDATION_FAILED,
            "Send the tenant slug or apiKey.",
            details=["slug: slug or apiKey is required."],
        )
    field, value = ("slug", slug) if slug else ("public_widget_key", api_key)
    tenant = None
    # A value no stored one can equal (NUL, which PostgreSQL refuses outright; over-long) is not looked up.
    if "\x00" not in value and len(value) <= Tenant._meta.get_field(field).max_length:
        tenant = Tenant.objects.filter(**{field: value}).first()
    if tenant is None:
        raise ApiError(ErrorCode.SDK_CLIENT_NOT_FOUND, "No SDK client with this slug or key.", status=404)
    if not tenant.is_active:
        raise ApiError(ErrorCode.SDK_CLIENT_INACTIVE, "This SDK client is inactive.", status=403)
    return tenant


def _services(tenant: Tenant, *, debug: bool) -> list[dict]:
    services = service_capabilities(tenant, include_reasons=debug)
    if not debug:
        for service in services:
            service.pop("reason", None)
    return services


def _build_bootstrap(tenant: Tenant, *, debug: bool) -> dict:
    branding = {"logoUrl": tenant.logo_url or None, **(tenant.branding or {})}
    return {
        "tenant": tenant_payload(tenant),
        "branding": branding,
        "services": _services(tenant, debug=debug),
        "sdk": {
            "publicKey": tenant.public_widget_key,
            "sessionEndpoint": "/api/sdk/session",
            "sessionHeader": SESSION_HEADER,
            "sessionExpiresIn": DEFAULT_TTL_SECONDS,
            "debug": debug,
        },
    }


def runtime_bootstrap(*, slug: str | None = None, api_key: str | None = None, debug: bool = False) -> dict:
    """``{"data": <RuntimeBootstrap>, "allowedDomains": [...]}``, from the cache when still fresh."""
    if not (slug or "").strip() and not (api_key or "").strip():
        tenant_resolve_public(slug=slug, api_key=api_key)  # raises the validation error
    key = _lookup_key(slug, api_key, debug)
    entry = cache.get(key)
    if (
        entry is not None
        and entry["version"] == _tenant_version(entry["tenantPk"])
        and entry["plan"] == _plan_fingerprint(entry["tenantPk"])
    ):
        return entry
    tenant = tenant_resolve_public(slug=slug, api_key=api_key)
    version = _tenant_version(tenant.pk)  # read before building: a bump meanwhile makes this entry stale
    entry = {
        "tenantPk": tenant.pk,
        "version": version,
        "plan": _plan_fingerprint(tenant.pk),
        "data": _build_bootstrap(tenant, debug=debug),
        "allowedDomains": allowed_domains(tenant=tenant),
    }
    cache.set(key, entry, timeout=BOOTSTRAP_TTL_SECONDS)
    return entry


# --- readiness and admin reads ------------------------------------------------------


def tenant_readiness(*, tenant: Tenant) -> dict:
    """The contract's ``Readiness``: services, AI and reports, plus SDK set-up facts."""
    ent = entitlements.for_tenant(tenant)
    domains = allowed_domains(tenant=tenant)
    return {
        "services": service_capabilities(tenant),
        "ai": ai_readiness(tenant),
        "reports": {"available": True, "exportEnabled": ent.feature_enabled("reports_export")},
        "sdk": {
            "tenantActive": tenant.is_active,
            "allowedDomainCount": len(domains),
            "webReady": tenant.is_active and bool(domains),
            "planSlug": ent.plan_slug,
        },
    }


def admin_services(*, tenant: Tenant) -> dict:
    services = service_capabilities(tenant)
    capabilities = {
        s["key"]: {"status": s["status"], "allowed": s["allowed"], "adminEnabled": s["adminEnabled"]} for s in services
    }
    return {"services": services, "capabilities": capabilities}


def admin_subscription(*, tenant: Tenant) -> dict:
    ent = entitlements.for_tenant(tenant)
    quotas = {}
    for key in QUOTA_KEYS:
        quota = ent.quota(key)
        item = {"valueType": quota.value_type, "limit": quota.limit, "resetPeriod": quota.reset_period or None}
        if key in _COUNTED_QUOTAS:
            item["usage"] = ent.usage(key)
            item["remaining"] = ent.remaining(key)
        quotas[key] = item
    return {
        "planId": ent.plan_id,
        "planSlug": ent.plan_slug,
        "planName": ent.plan_name,
        "status": ent.subscription_status,
        "features": ent.enabled_features(),
        "quotas": quotas,
    }


def admin_ai_readiness(*, tenant: Tenant) -> dict:
    ai = ai_readiness(tenant)
    ent = entitlements.for_tenant(tenant)
    can_use = any(ent.feature_enabled(key) and ai["services"][key]["ready"] for key in AI_SERVICES)
    return {"ai": ai, "canUseAiFeature": can_use}


def staff_summary(*, tenant: Tenant) -> dict:
    """Active staff by role, department and presence, in one grouped query."""
    rows = (
        User.objects.filter(tenant=tenant, is_active=True)
        .values_list("role", "presence", "department__public_id", "department__name")
        .order_by()
    )
    by_role: Counter = Counter()
    by_presence: Counter = Counter()
    departments: dict[str | None, dict] = {}
    agents_online = 0
    for role, presence, dep_id, dep_name in rows:
        by_role[role] += 1
        by_presence[presence] += 1
        dep = departments.setdefault(
            dep_id, {"departmentId": dep_id, "name": dep_name or "Unassigned", "staff": 0, "online": 0}
        )
        dep["staff"] += 1
        if presence == Presence.ONLINE:
            dep["online"] += 1
            if role in (StaffRole.AGENT, StaffRole.SUPERVISOR):
                agents_online += 1
    return {
        "totalStaff": sum(by_role.values()),
        "byRole": {role: by_role.get(role, 0) for role in StaffRole.values},
        "byPresence": {presence: by_presence.get(presence, 0) for presence in Presence.values},
        "departments": sorted(departments.values(), key=lambda d: (d["departmentId"] is None, d["name"])),
        "agentsOnline": agents_online,
        "agentsTotal": by_role.get(StaffRole.AGENT, 0) + by_role.get(StaffRole.SUPERVISOR, 0),
    }
