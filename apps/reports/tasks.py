"""Report jobs: rolling up closed days, and writing requested export files.

``reports.refresh_rollups`` runs every ``ROLLUP_INTERVAL_SECONDS`` (``CELERY_BEAT_SCHEDULE`` in settings,
checked by a test) and fans out one ``reports.refresh_tenant_rollups``
per active tenant. Both are idempotent: a refresh replaces whole days.
"""

from celery import shared_task

from apps.reports.exports import export_generate
from apps.reports.rollups import rollup_catch_up
from apps.tenants.models import Tenant

ROLLUP_INTERVAL_SECONDS = 15 * 60


@shared_task(name="reports.generate_export", autoretry_for=(Exception,), retry_backoff=30, max_retries=3)
def generate_export(export_id: int) -> str | None:
    export = export_generate(export_id=export_id)
    return None if export is None else export.status


@shared_task(name="reports.refresh_tenant_rollups", autoretry_for=(Exception,), retry_backoff=60, max_retries=3)
def refresh_tenant_rollups(tenant_id: int) -> int:
    tenant = Tenant.objects.filter(pk=tenant_id).first()
    return 0 if tenant is None else rollup_catch_up(tenant=tenant)


@shared_task(name="reports.refresh_rollups", ignore_result=True)
def refresh_rollups() -> int:
    ids = list(Tenant.objects.filter(is_active=True).values_list("pk", flat=True))
    for tenant_id in ids:
        refresh_tenant_rollups.delay(tenant_id)
    return len(ids)
