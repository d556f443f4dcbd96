"""Factories for platform rows, and ``subscribe()``: put a tenant on a plan with exactly the given contracts.

Other apps' tests use it::

    from apps.plans.tests.factories import subscribe
    subscribe(tenant, features={"webhooks": True}, quotas={"webhooks": 2, "contacts": "unlimited"})
"""

from __future__ import annotations

import factory

from apps.plans import entitlements
from apps.plans.models import FeatureKey, Plan, PlanFeature, PlanQuota, QuotaKey, Subscription
from apps.tenants.tests.factories import TenantFactory


class FeatureKeyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FeatureKey
        django_get_or_create = ("key",)

    key = factory.Sequence(lambda n: f"feature_{n}")
    name = factory.LazyAttribute(lambda o: o.key.replace("_", " ").title())


class QuotaKeyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QuotaKey
        django_get_or_create = ("key",)

    key = factory.Sequence(lambda n: f"quota_{n}")
    name = factory.LazyAttribute(lambda o: o.key.replace("_", " ").title())


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"plan-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscription

    tenant = factory.SubFactory(TenantFactory)
    plan = factory.SubFactory(PlanFactory)


_MONTHLY = {"ai_chat_replies", "ai_voice_minutes"}


def plan_with(
    *, slug: str, features: dict[str, bool] | None = None, quotas: dict[str, int | str] | None = None
) -> Plan:
    """Creates or reuses plan ``slug`` and sets exactly these contracts (others removed)."""
    plan = PlanFactory(slug=slug)
    PlanFeature.objects.filter(plan=plan).delete()
    PlanQuota.objects.filter(plan=plan).delete()
    for key, enabled in (features or {}).items():
        PlanFeature.objects.create(plan=plan, feature=FeatureKeyFactory(key=key), enabled=bool(enabled))
    for key, value in (quotas or {}).items():
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise TypeError(f"quota {key}: use an int or 'unlimited'/'custom'/'disabled'")
        is_number = isinstance(value, int)
        if not is_number and value not in ("unlimited", "custom", "disabled"):
            raise ValueError(f"quota {key}: unknown value type {value!r}")
        PlanQuota.objects.create(
            plan=plan,
            quota=QuotaKeyFactory(key=key),
            value_type="number" if is_number else value,
            limit_value=value if is_number else None,
            reset_period="monthly" if key in _MONTHLY else "",
        )
    entitlements.invalidate()
    return plan


def subscribe(
    tenant,
    *,
    plan_slug: str | None = None,
    features: dict[str, bool] | None = None,
    quotas: dict[str, int | str] | None = None,
) -> Subscription:
    """Subscribes ``tenant`` to a plan with exactly ``features``/``quotas``.

    ``quotas`` values: an int is a number limit; ``"unlimited"``, ``"custom"`` or ``"disabled"``.
    Without ``plan_slug`` each call gets a plan of its own (``test-<tenant slug>``).
    """
    plan = plan_with(slug=plan_slug or f"test-{tenant.slug}", features=features, quotas=quotas)
    subscription, _ = Subscription.objects.update_or_create(tenant=tenant, defaults={"plan": plan, "status": "active"})
    entitlements.invalidate(tenant)
    return subscription
