"""The one entitlement API: what a tenant's plan allows.

Every app asks here, never the plan tables::

    ent = entitlements.for_tenant(tenant)
    ent.require_feature("webhooks")                       # 403 FEATURE_NOT_AVAILABLE
    ent.require_quota("agents", requested_total=n + 1)    # 400 QUOTA_EXCEEDED

Rules
-----
* The tenant's plan is its subscription's plan while the subscription status is
  active, trialing or past_due; otherwise (no subscription, canceled) the plan
  with slug ``free`` if it exists, else no plan: nothing is enabled and every
  quota is ``disabled``.
* A feature without a contract row in the plan is disabled; a quota without a
  contract row is ``disabled`` (limit 0). Deny by default.
* ``custom`` quotas are negotiated per customer and not enforced here, like
  ``unlimited``.

Caching
-------
The plan part of the answer (not usage) is cached per tenant in Django's cache
under ``platform:ent:data:<tenant id>``, tagged with the (catalog version, tenant
version) read before it was loaded; one ``get_many`` of the two versions and the
entry answers a request (one Redis round trip), and an entry whose tag is not the
current pair is reloaded. ``invalidate(tenant)`` bumps that tenant's version;
``invalidate()`` bumps the catalog version, which orphans every tenant's entry at
once. Services call it immediately *and* again on commit: a request that read the
old rows before the commit can only have tagged them with a version that the
on-commit bump has already left behind, so no stale entry is ever used.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction

from apps.plans.models import GRANTING_STATUSES, Plan, PlanFeature, PlanQuota, Subscription
from ringnity.api.errors import ApiError, ErrorCode
from ringnity.api.throttling import forget_tenant_rate_limits

CACHE_TTL_SECONDS = 300
_VERSION_KEY = "platform:ent:catalog-version"
FREE_PLAN_SLUG = "free"

_usage_counters: dict[str, Callable[[object], int]] = {}


class UsageCounterMissing(LookupError):
    """``usage()`` of a quota key no app counts: a programming error, never a silent 0.

    ``manage.py check`` reports such keys at start-up (``plans.E001``, ``apps.plans.checks``).
    """


@dataclass(frozen=True)
class QuotaLimit:
    key: str
    value_type: str  # "number" | "unlimited" | "custom" | "disabled"
    limit: int | None  # set only for "number"
    reset_period: str  # "" = never resets, "monthly", ...

    @property
    def enforced_limit(self) -> int | None:
        """The most allowed in total: the number, 0 when disabled, None when not enforced."""
        if self.value_type == "number":
            return self.limit
        if self.value_type == "disabled":
            return 0
        return None


def register_usage_counter(quota_key: str, counter: Callable[[object], int]) -> None:
    """``counter(tenant) -> int``: current usage of ``quota_key``. Call from ``AppConfig.ready()``.

    A later registration for the same key replaces the earlier one.
    """
    _usage_counters[quota_key] = counter


def has_usage_counter(quota_key: str) -> bool:
    return quota_key in _usage_counters


class Entitlements:
    """What one tenant's plan allows. Built from cached plain data; ``usage`` is always live."""

    def __init__(self, tenant, data: dict) -> None:
        self.tenant = tenant
        self.plan_slug: str | None = data["plan_slug"]
        self.plan_name: str | None = data["plan_name"]
        self.plan_id: str | None = data.get("plan_id")
        self.subscription_status: str = data["subscription_status"]
        self._features: dict[str, dict] = data["features"]
        self._quotas: dict[str, list] = data["quotas"]

    def __repr__(self) -> str:
        return f"<Entitlements tenant={getattr(self.tenant, 'pk', None)} plan={self.plan_slug}>"

    def feature_enabled(self, key: str) -> bool:
        entry = self._features.get(key)
        return bool(entry and entry["enabled"])

    def feature_config(self, key: str) -> dict:
        entry = self._features.get(key)
        return dict(entry["config"]) if entry and entry["enabled"] else {}

    def feature_status(self, key: str) -> str:
        """The feature key's catalog status (``stable`` | ``beta`` | ``deprecated``); "" when not in the plan."""
        entry = self._features.get(key)
        return entry.get("status", "") if entry else ""

    def enabled_features(self) -> list[str]:
        return sorted(key for key, entry in self._features.items() if entry["enabled"])

    def quota(self, key: str) -> QuotaLimit:
        entry = self._quotas.get(key)
        if entry is None:
            return QuotaLimit(key, "disabled", None, "")
        value_type, limit, reset_period = entry
        return QuotaLimit(key, value_type, limit if value_type == "number" else None, reset_period or "")

    def usage(self, key: str) -> int:
        """Current usage of quota ``key``; raises ``UsageCounterMissing`` when no app registered a counter."""
        counter = _usage_counters.get(key)
        if counter is None:
            raise UsageCounterMissing(
                f"No usage counter is registered for quota '{key}': call "
                f"entitlements.register_usage_counter('{key}', counter) in the owning app's AppConfig.ready()."
            )
        return int(counter(self.tenant))

    def remaining(self, key: str, *, usage: int | None = None) -> int | None:
        """What is left of quota ``key`` (None = unlimited); pass ``usage`` when it was just counted."""
        limit = self.quota(key).enforced_limit
        if limit is None:
            return None
        return max(0, limit - (self.usage(key) if usage is None else usage))

    def require_feature(self, key: str) -> None:
        if not self.feature_enabled(key):
            raise ApiError(
                ErrorCode.FEATURE_NOT_AVAILABLE,
                f"The feature '{key}' is not available on the current plan.",
                status=403,
                details=[f"{key}: not included in plan '{self.plan_slug or 'none'}'"],
            )

    def require_quota(self, key: str, *, requested_total: int) -> None:
        """Raises when ``requested_total`` (usage after the change) exceeds the plan's limit."""
        limit = self.quota(key).enforced_limit
        if limit is not None and requested_total > limit:
            plan = self.plan_slug or "free"
            raise ApiError(
                ErrorCode.QUOTA_EXCEEDED,
                f"The '{plan}' plan allows at most {limit} {key.replace('_', ' ')}. Remove one you no longer "
                f"use, or move to a plan with a higher '{key}' quota (platform console: Change plan).",
                status=400,
                details=[f"{key}: the plan allows at most {limit}"],
            )


#: Request-rate quotas (requests a minute), read by ``ringnity.api.throttling`` through ``api_rate_limits``.
API_RATE_QUOTAS = ("api_requests_per_minute", "api_requests_per_minute_per_ip")


def api_rate_limits(tenant) -> tuple[int | None, int | None]:
    """The plan's requests a minute (per credential, per client address); None where the plan sets no
    positive number (unlimited, custom, disabled, no row): the deployment's default applies then."""
    ent = for_tenant(tenant)
    limits = [ent.quota(key) for key in API_RATE_QUOTAS]
    return tuple(q.limit if q.value_type == "number" and q.limit else None for q in limits)


def _tenant_version_key(tenant_pk) -> str:
    return f"platform:ent:tenant-version:{tenant_pk}"


def _data_key(tenant_pk) -> str:
    return f"platform:ent:data:{tenant_pk}"


def _cached(tenant_pk) -> tuple[tuple[int, int], dict | None]:
    """(current (catalog, tenant) versions, the cached data if tagged with them); one round trip when warm."""
    keys = [_VERSION_KEY, _tenant_version_key(tenant_pk)]
    found = cache.get_many([*keys, _data_key(tenant_pk)])
    for key in keys:
        if key not in found:  # a missing version is set to a fresh, never-reused value
            cache.add(key, time.time_ns(), timeout=None)
            found[key] = cache.get(key) or 0
    versions = (int(found[keys[0]]), int(found[keys[1]]))
    entry = found.get(_data_key(tenant_pk))
    return versions, entry[1] if entry is not None and tuple(entry[0]) == versions else None


def _load(tenant) -> dict:
    subscription = Subscription.objects.select_related("plan").filter(tenant_id=tenant.pk).first()
    status = subscription.status if subscription else "none"
    plan = subscription.plan if subscription and subscription.status in GRANTING_STATUSES else None
    if plan is None:
        plan = Plan.objects.filter(slug=FREE_PLAN_SLUG).first()
    data = {
        "plan_slug": plan.slug if plan else None,
        "plan_name": plan.name if plan else None,
        "plan_id": plan.public_id if plan else None,
        "subscription_status": status,
        "features": {},
        "quotas": {},
    }
    if plan is None:
        return data
    for key, enabled, config, status in PlanFeature.objects.filter(plan=plan).values_list(
        "feature__key", "enabled", "config", "feature__status"
    ):
        data["features"][key] = {"enabled": enabled, "config": config or {}, "status": status}
    for key, value_type, limit, reset_period in PlanQuota.objects.filter(plan=plan).values_list(
        "quota__key", "value_type", "limit_value", "reset_period"
    ):
        data["quotas"][key] = [value_type, limit, reset_period]
    return data


def for_tenant(tenant) -> Entitlements:
    """The tenant's entitlements (cached; at most 3 queries on a miss, 0 on a hit, 1 Redis round trip)."""
    versions, data = _cached(tenant.pk)
    if data is None:
        data = _load(tenant)
        cache.set(_data_key(tenant.pk), (versions, data), timeout=CACHE_TTL_SECONDS)
    return Entitlements(tenant, data)


def _invalidate_now(tenant_pk) -> None:
    forget_tenant_rate_limits(tenant_pk)  # this process at once; the others within their TTL
    key = _VERSION_KEY if tenant_pk is None else _tenant_version_key(tenant_pk)
    try:
        cache.incr(key)
    except ValueError:  # not set yet (or evicted): any fresh value will do
        cache.set(key, time.time_ns(), timeout=None)


def invalidate(tenant=None) -> None:
    """Drops cached entitlements of ``tenant`` (or of every tenant when None), now and after commit."""
    tenant_pk = getattr(tenant, "pk", None) if tenant is not None else None
    _invalidate_now(tenant_pk)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _invalidate_now(tenant_pk))
