"""Receivers that keep the SDK bootstrap cache fresh (connected in ``RuntimeConfig.ready()``)."""

from django.db.models.signals import post_delete, post_save

from apps.billing.models import AiBalance
from apps.developer.models import AllowedDomain, ServiceToggle
from apps.developer.signals import developer_settings_changed
from apps.runtime.bootstrap import bootstrap_cache_invalidate
from apps.tenants.models import Tenant


def _tenant_changed(sender, instance, **kwargs):
    bootstrap_cache_invalidate(tenant_pk=instance.pk)


def _tenant_setting_changed(sender, instance, **kwargs):
    bootstrap_cache_invalidate(tenant_pk=instance.tenant_id)


def _developer_settings_changed(sender, tenant_pk, **kwargs):
    bootstrap_cache_invalidate(tenant_pk=tenant_pk)


def connect() -> None:
    for signal in (post_save, post_delete):
        signal.connect(_tenant_changed, sender=Tenant, dispatch_uid=f"runtime-bootstrap-tenant-{signal}")
        # AiBalance: an empty balance can make AI services ai_not_ready.
        for model in (AllowedDomain, ServiceToggle, AiBalance):
            signal.connect(
                _tenant_setting_changed, sender=model, dispatch_uid=f"runtime-bootstrap-{model.__name__}-{signal}"
            )
    developer_settings_changed.connect(_developer_settings_changed, dispatch_uid="runtime-bootstrap-developer")
