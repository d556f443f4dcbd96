"""The plan catalog as the contract's ``PlanContractCatalog``: read it whole, validate it whole, replace it whole.

``catalog_read()`` (4 queries, whatever the catalog size) and ``catalog_problems()``
(every problem of a submitted catalog, as ``details`` strings) are used by
``services.plan_catalog_replace`` and the platform API.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from django.db.models import Count

from apps.platform.models import FeatureKey, Plan, PlanFeature, PlanQuota, QuotaKey, QuotaValueType

VALUE_TYPES = set(QuotaValueType.values)


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


def catalog_problems(catalog: dict) -> list[str]:
    """Every problem of a submitted catalog (already shape-checked by the serializer)."""
    problems: list[str] = []
    feature_keys = [f["featureKey"] for f in catalog["featureKeys"]]
    quota_keys = [q["quotaKey"] for q in catalog["quotaKeys"]]
    slugs = [p["slug"] for p in catalog["plans"]]
    problems += [f"featureKeys: duplicate featureKey '{k}'." for k in _duplicates(feature_keys)]
    problems += [f"quotaKeys: duplicate quotaKey '{k}'." for k in _duplicates(quota_keys)]
    problems += [f"plans: duplicate slug '{s}'." for s in _duplicates(slugs)]
    known_features, known_quotas = set(feature_keys), set(quota_keys)
    for index, plan in enumerate(catalog["plans"]):
        where = f"plans[{index}]"
        for key, contract in plan.get("features", {}).items():
            if key not in known_features:
                problems.append(f"{where}.features.{key}: unknown feature key.")
            if contract.get("featureKey") not in (None, key):
                problems.append(f"{where}.features.{key}.featureKey: must match its key.")
        for key, contract in plan.get("quotas", {}).items():
            field = f"{where}.quotas.{key}"
            if key not in known_quotas:
                problems.append(f"{field}: unknown quota key.")
            if contract.get("quotaKey") not in (None, key):
                problems.append(f"{field}.quotaKey: must match its key.")
            value_type, limit = contract["valueType"], contract.get("limitValue")
            if value_type == "number" and limit is None:
                problems.append(f"{field}.limitValue: required when valueType is 'number'.")
            if value_type != "number" and limit is not None:
                problems.append(f"{field}.limitValue: must be null when valueType is '{value_type}'.")
            if limit is not None and limit < 0:
                problems.append(f"{field}.limitValue: must not be negative.")
    kept = set(slugs)
    dropped = (
        Plan.objects.exclude(slug__in=kept)
        .annotate(subscribers=Count("subscriptions"))
        .filter(subscribers__gt=0)
        .values_list("slug", "subscribers")
    )
    for slug, subscribers in dropped:
        problems.append(
            f"plans: plan '{slug}' has {subscribers} subscribed tenant(s) and cannot be removed; set isActive false."
        )
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
    Plan.objects.exclude(slug__in=slugs).delete()
