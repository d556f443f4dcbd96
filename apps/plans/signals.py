"""Any saved or deleted catalog or subscription row drops cached entitlements (admin edits included).

Services call ``entitlements.invalidate`` themselves too; these receivers cover every other
path that goes through the ORM's save/delete (the console, the shell). ``QuerySet.update``
sends no signal, so code that uses it must invalidate explicitly.
"""

from types import SimpleNamespace

from django.db.models.signals import post_delete, post_save

from apps.plans import entitlements
from apps.plans.models import FeatureKey, Plan, PlanFeature, PlanQuota, QuotaKey, Subscription

CATALOG_MODELS = (FeatureKey, QuotaKey, Plan, PlanFeature, PlanQuota)


def _catalog_changed(sender, **kwargs):
    entitlements.invalidate()


def _subscription_changed(sender, instance, **kwargs):
    entitlements.invalidate(SimpleNamespace(pk=instance.tenant_id))


def connect() -> None:
    for model in CATALOG_MODELS:
        post_save.connect(_catalog_changed, sender=model, dispatch_uid=f"platform-ent-save-{model.__name__}")
        post_delete.connect(_catalog_changed, sender=model, dispatch_uid=f"platform-ent-delete-{model.__name__}")
    post_save.connect(_subscription_changed, sender=Subscription, dispatch_uid="platform-ent-save-subscription")
    post_delete.connect(_subscription_changed, sender=Subscription, dispatch_uid="platform-ent-delete-subscription")
