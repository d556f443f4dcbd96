"""The plan catalog as the contract's ``PlanContractCatalog``: read it whole, validate it whole, replace it whole.

``catalog_read()`` (4 queries, whatever the catalog size) and ``catalog_problems()``
(every problem of a submitted catalog, as ``details`` strings) are used by
``services.plan_catalog_replace`` and the platform API.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

from django.db.models import Count, ProtectedError

from apps.plans.models import FeatureKey, Plan, PlanFeature, PlanQuota, QuotaKey, QuotaValueType
from ringnity.api.errors import validation_failed

VALUE_TYPES = set(QuotaValueType.values)
SLUG_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")  # as the serializer's KEY_REGEX


def feature_key_dict(row: FeatureKey) -> dict:
    return {
        "featureKey": row.key,
        "name": row.name,
        "category": row.category,
        "description": row.description,
        "status": row.status,
        "sortOrder": row.sort_order,
    }


def quota_key_dict(row: QuotaKey) -> dict:
    return {
        "quotaKey": row.key,
        "name": row.name,
        "unit": row.unit,
        "category": row.category,
        "description": row.description,
        "sortOrder": row.sort_order,
    }


def catalog_read() -> dict:
    features = list(FeatureKey.objects.all())
    quotas = list(QuotaKey.objects.all())
    plans = list(Plan.objects.all())
    by_plan_features: dict[int, dict] = defaultdict(dict)
    for pf in PlanFeature.objects.select_related("feature", "plan"):
        by_plan_features[pf.plan_id][pf.feature.key] = {
            "planId": pf.plan.public_id,
            "featureKey": pf.feature.key,
            "enabled": pf.enabled,
            "config": pf.config or {},
        }
    by_plan_quotas: dict[int, dict] = defaultdict(dict)
    for pq in PlanQuota.objects.select_related("quota", "plan"):
        by_plan_quotas[pq.plan_id][pq.quota.key] = {
            "planId": pq.plan.public_id,
            "quotaKey": pq.quota.key,
            "valueType": pq.value_type,
            "limitValue": pq.limit_value,
            "resetPeriod": pq.reset_period or None,
            "config": pq.config or {},
        }
    return {
        "featureKeys": [feature_key_dict(f) for f in features],
        "quotaKeys": [quota_key_dict(q) for q in quotas],
        "plans": [
            {
                "planId": plan.public_id,
                "slug": plan.slug,
                "name": plan.name,
                "sortOrder": plan.sort_order,
                "isActive": plan.is_active,
                "features": by_plan_features.get(plan.pk, {}),
                "quotas": by_plan_quotas.get(plan.pk, {}),
            }
            for plan in plans
        ],
    }


def _duplicates(values: list[str]) -> list[str]:
    return sorted(value for value, n in Counter(values).items() if n > 1)


def _keys(value, field: str) -> list[str] | None:
    """The string keys of a key list, or None when the list is not well formed (unknown-key checks skipped)."""
    if not isinstance(value, list) or not all(isinstance(i, dict) and isinstance(i.get(field), str) for i in value):
        return None
    return [item[field] for item in value]


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def catalog_problems(catalog) -> list[str]:
    """Every cross-field problem of a submitted catalog, as ``details`` strings.

    Runs on validated data, and also on the raw body when the serializer found shape
    errors, so one answer lists both kinds; anything malformed here is skipped (the
    serializer has reported it).
    """
    if not isinstance(catalog, dict):
        return []
    problems: list[str] = []
    feature_keys = _keys(catalog.get("featureKeys"), "featureKey")
    quota_keys = _keys(catalog.get("quotaKeys"), "quotaKey")
    plans = catalog.get("plans")
    slugs = _keys(plans, "slug")
    problems += [f"featureKeys: duplicate featureKey '{k}'." for k in _duplicates(feature_keys or [])]
    problems += [f"quotaKeys: duplicate quotaKey '{k}'." for k in _duplicates(quota_keys or [])]
    problems += [f"plans: duplicate slug '{s}'." for s in _duplicates(slugs or [])]
    for index, plan in enumerate(plans if isinstance(plans, list) else []):
        if isinstance(plan, dict):
            problems += _plan_problems(f"plans[{index}]", plan, feature_keys, quota_keys)
    if slugs is not None and all(SLUG_RE.fullmatch(slug) for slug in slugs):
        dropped = (
            Plan.objects.exclude(slug__in=set(slugs))
            .annotate(subscribers=Count("subscriptions"))
            .filter(subscribers__gt=0)
            .values_list("slug", "subscribers")
        )
        problems += [
            f"plans: plan '{slug}' has {count} subscribed tenant(s) and cannot be removed; set isActive false."
            for slug, count in dropped
        ]
    return problems


def _plan_problems(where: str, plan: dict, feature_keys: list | None, quota_keys: list | None) -> list[str]:
    problems: list[str] = []
    features, quotas = plan.get("features"), plan.get("quotas")
    for key, contract in features.items() if isinstance(features, dict) else []:
        if feature_keys is not None and key not in feature_keys:
            problems.append(f"{where}.features.{key}: unknown feature key.")
        if isinstance(contract, dict) and contract.get("featureKey") not in (None, key):
            problems.append(f"{where}.features.{key}.featureKey: must match its key.")
    for key, contract in quotas.items() if isinstance(quotas, dict) else []:
        field = f"{where}.quotas.{key}"
        if quota_keys is not None and key not in quota_keys:
            problems.append(f"{field}: unknown quota key.")
        if not isinstance(contract, dict):
            continue
        if contract.get("quotaKey") not in (None, key):
            problems.append(f"{field}.quotaKey: must match its key.")
        value_type, limit = contract.get("valueType"), contract.get("limitValue")
        if value_type == "number" and limit is None:
            problems.append(f"{field}.limitValue: required when valueType is 'number'.")
        if isinstance(value_type, str) and value_type in VALUE_TYPES and value_type != "number" and limit is not None:
            problems.append(f"{field}.limitValue: must be null when valueType is '{value_type}'.")
        if _is_int(limit) and limit < 0:
            problems.append(f"{field}.limitValue: must not be negative.")
    return problems


def catalog_write(catalog: dict) -> None:
    """Replaces the stored catalog with ``catalog`` (validated). Caller holds the transaction."""
    feature_rows = {}
    for item in catalog["featureKeys"]:
        row, _ = FeatureKey.objects.update_or_create(
            key=item["featureKey"],
            defaults={
                "name": item["name"],
                "category": item["category"],
                "description": item["description"],
                "status": item["status"],
                "sort_order": item["sortOrder"],
            },
        )
        feature_rows[row.key] = row
    FeatureKey.objects.exclude(key__in=feature_rows).delete()
    quota_rows = {}
    for item in catalog["quotaKeys"]:
        row, _ = QuotaKey.objects.update_or_create(
            key=item["quotaKey"],
            defaults={
                "name": item["name"],
                "unit": item["unit"],
                "category": item["category"],
                "description": item["description"],
                "sort_order": item["sortOrder"],
            },
        )
        quota_rows[row.key] = row
    QuotaKey.objects.exclude(key__in=quota_rows).delete()
    slugs = []
    for item in catalog["plans"]:
        plan, _ = Plan.objects.update_or_create(
            slug=item["slug"],
            defaults={"name": item["name"], "sort_order": item["sortOrder"], "is_active": item["isActive"]},
        )
        slugs.append(plan.slug)
        PlanFeature.objects.filter(plan=plan).delete()
        PlanQuota.objects.filter(plan=plan).delete()
        PlanFeature.objects.bulk_create(
            PlanFeature(plan=plan, feature=feature_rows[key], enabled=c["enabled"], config=c.get("config") or {})
            for key, c in item.get("features", {}).items()
        )
        PlanQuota.objects.bulk_create(
            PlanQuota(
                plan=plan,
                quota=quota_rows[key],
                value_type=c["valueType"],
                limit_value=c.get("limitValue"),
                reset_period=c.get("resetPeriod") or "",
                config=c.get("config") or {},
            )
            for key, c in item.get("quotas", {}).items()
        )
    try:
        Plan.objects.exclude(slug__in=slugs).delete()
    except ProtectedError as exc:
        # Validation saw no subscribers, but a tenant subscribed to a dropped plan meanwhile.
        count = len(exc.protected_objects)
        raise validation_failed(
            [f"plans: a dropped plan now has {count} subscribed tenant(s) and cannot be removed."],
        ) from exc
