"""Export rendering and storage, shared by the API (streamed directly) and the Celery task."""

from __future__ import annotations

import json

from django.core.files.base import ContentFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from apps.reports.csv_export import report_csv
from apps.reports.models import ExportStatus, ReportExport
from apps.reports.periods import ReportPeriod, tenant_zone
from apps.reports.selectors import report_build
from ringnity.api.outputs import iso_utc


def export_filename(*, tenant, period: ReportPeriod, fmt: str) -> str:
    return f"ringnity-report-{tenant.slug}-{period.type}-{period.label}.{fmt}"


def export_data(*, tenant, period: ReportPeriod, agent=None) -> dict:
    """The ``data`` of the contract's ``ReportExportEnvelope``."""
    report = report_build(tenant=tenant, period=period, agent=agent)
    return {"report": report, "exportedAt": iso_utc(timezone.now()), "format": "json"}


def export_render(*, tenant, period: ReportPeriod, agent=None, fmt: str) -> tuple[bytes, str]:
    """``(body, content type)`` of an export file: CSV, or the JSON envelope exactly as the API sends it."""
    if fmt == "csv":
        report = report_build(tenant=tenant, period=period, agent=agent)
        return report_csv(report, tenant_slug=tenant.slug).encode("utf-8"), "text/csv; charset=utf-8"
    envelope = {"success": True, "data": export_data(tenant=tenant, period=period, agent=agent)}
    return json.dumps(envelope, cls=DjangoJSONEncoder).encode("utf-8"), "application/json"


def export_generate(*, export_id: int) -> ReportExport | None:
    """Renders and stores one export; idempotent (a finished export is left as it is)."""
    with transaction.atomic():
        export = (
            ReportExport.objects.select_for_update(of=("self",))
            .select_related("tenant", "agent")
            .filter(pk=export_id)
            .first()
        )
        if export is None or export.status == ExportStatus.DONE:
            return export
        export.status = ExportStatus.RUNNING
        export.save(update_fields=["status"])
    tenant = export.tenant
    period = ReportPeriod(export.period_type, export.first_day, export.last_day, tenant_zone(tenant))
    try:
        body, _ = export_render(tenant=tenant, period=period, agent=export.agent, fmt=export.format)
    except Exception as exc:
        ReportExport.objects.filter(pk=export.pk).update(
            status=ExportStatus.FAILED, error=type(exc).__name__, finished_at=timezone.now()
        )
        raise
    name = f"{tenant.public_id}/{export.public_id}-{export_filename(tenant=tenant, period=period, fmt=export.format)}"
    export.file.save(name, ContentFile(body), save=False)
    export.size_bytes = len(body)
    export.status = ExportStatus.DONE
    export.finished_at = timezone.now()
    export.error = ""
    export.save(update_fields=["file", "size_bytes", "status", "finished_at", "error"])
    return export
