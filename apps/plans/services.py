"""Writes for the plan catalog and subscriptions. Every write calls ``entitlements.invalidate``."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from apps.audit.services import audit_record, audited
from apps.plans import catalog, entitlements
from apps.plans.models import Plan, Subscription, SubscriptionStatus
from apps.tenants.models import Tenant
from ringnity.api.errors import validation_failed


@audited("subscription.set")
@transaction.atomic
def subscription_set(*, tenant: Tenant, plan_slug: str, status: str = SubscriptionStatus.ACTIVE) -> Subscription:
    """Puts ``tenant`` on plan ``plan_slug`` (creating or changing its one subscription)."""
    plan = Plan.objects.filter(slug=(plan_slug or "").strip()).first()
    if plan is None:
        raise validation_failed([f"plan: unknown plan '{plan_slug}'."])
    if status not in SubscriptionStatus.values:
        raise validation_failed([f"status: must be one of {', '.join(SubscriptionStatus.values)}."])
    now = timezone.now()
    subscription, created = Subscription.objects.select_for_update().get_or_create(
        tenant=tenant, defaults={"plan": plan, "status": status, "current_period_start": now}
    )
    before = None if created else {"plan": subscription.plan.slug, "status": subscription.status}
    if not created and (subscription.plan_id != plan.pk or subscription.status != status):
        subscription.plan = plan
        subscription.status = status
        subscription.current_period_start = now
        subscription.save(update_fields=["plan", "status", "current_period_start", "updated_at"])
    after = {"plan": plan.slug, "status": status}
    audit_record(action="subscription.set", target=subscription, before=before, after=after, tenant=tenant)
    entitlements.invalidate(tenant)
    return subscription


def agent_seats_require(*, tenant: Tenant, seats: int) -> None:
    """The staff seat guard (registered with ``apps.tenants.services``): 400 ``QUOTA_EXCEEDED`` when ``seats``
    active non-owner staff exceed the plan's ``agents`` quota. Runs under the tenant row lock."""
    entitlements.for_tenant(tenant).require_quota("agents", requested_total=seats)


@audited("plan_catalog.replace")
@transaction.atomic
def plan_catalog_replace(*, catalog_data: dict) -> dict:
    """Validates the whole catalog, then replaces it; any problem → 400 with all of them, nothing written."""
    problems = catalog.catalog_problems(catalog_data)
    if problems:
        raise validation_failed(problems, message="The plan catalog is invalid.")
    before = catalog.catalog_read()
    catalog.catalog_write(catalog_data)
    entitlements.invalidate()
    after = catalog.catalog_read()
    audit_record(action="plan_catalog.replace", target=("plan_catalog", "catalog"), before=before, after=after)
    return after
