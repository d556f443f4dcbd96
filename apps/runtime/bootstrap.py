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
* the plan changes: ``apps.plans.entitlements`` invalidates its own cached entry,
  so the fingerprint read through ``entitlements.for_tenant`` (cache-only on a hit)
  no longer matches;
* ``BOOTSTRAP_TTL_SECONDS`` passed (AI readiness depends on usage and balance,
  which change without a signal).

Bulk writes (``QuerySet.update``, ``bulk_create``) send no signals: code that changes
domains or toggles that way calls ``bootstrap_cache_invalidate(tenant=...)``.
The receivers live in ``apps.runtime.signals``, connected in ``RuntimeConfig.ready()``; developer
services announce bulk writes with ``apps.developer.signals.developer_settings_changed``.
"""

from __future__ import annotations

import hashlib
import uuid

from django.core.cache import cache
from django.db import transaction

from apps.developer.api.serializers import TenantOutput
from apps.developer.capabilities import service_capabilities
from apps.plans import entitlements
from apps.runtime.selectors import allowed_domains
from apps.runtime.tokens import DEFAULT_TTL_SECONDS, SESSION_HEADER
from apps.tenants.models import Tenant
from ringnity.api.errors import ApiError, ErrorCode

BOOTSTRAP_TTL_SECONDS = 120


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


#: A client id (``cl_…``, the tenant's public id) in the slug's place names the tenant too: slugs have no ``_``,
#: so the two never collide. The widget is embedded with its client id (``data-client-id``).
CLIENT_ID_PREFIX = "cl_"


def tenant_resolve_public(*, slug: str | None = None, api_key: str | None = None) -> Tenant:
    """The tenant named by a public slug (or client id) or widget key: 404 SDK_CLIENT_NOT_FOUND,
    403 SDK_CLIENT_INACTIVE."""
    slug, api_key = _public_ident(slug, api_key)
    if not slug and not api_key:
        raise ApiError(
            ErrorCode.VALIDATION_FAILED,
            "Send the tenant slug or apiKey.",
            details=["slug: slug or apiKey is required."],
        )
    field, value = ("slug", slug) if slug else ("public_widget_key", api_key)
    if slug.startswith(CLIENT_ID_PREFIX):
        field = "public_id"
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
        "tenant": TenantOutput(tenant).data,
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
