"""Export rendering and storage, shared by the API (streamed directly) and the Celery task.

An export aggregates a whole period, so the API bounds what one tenant can take from the web tier
(benchmark 4, the noisy neighbour): ``export_slot`` lets one export per tenant run at a time across
every web worker (a second concurrent one is 429 ``RATE_LIMITED`` with ``Retry-After``; the Celery
exports of the console queue instead), and ``bounded_queries`` ends an export's SQL after
``EXPORT_STATEMENT_TIMEOUT_MS`` (503 ``SERVICE_UNAVAILABLE``) instead of letting it hold a worker.
"""

from __future__ import annotations

import json
import uuid
from contextlib import contextmanager

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from apps.reports.csv_export import report_csv
from apps.reports.models import ExportStatus, ReportExport
from apps.reports.periods import ReportPeriod, tenant_zone
from apps.reports.selectors import report_build
from ringnity.api.errors import ApiError, ErrorCode
from ringnity.api.outputs import iso_utc
from ringnity.api.throttling import rate_limited

#: Exports of one tenant running at once through the API (all web workers together).
EXPORTS_AT_ONCE_PER_TENANT = 1
#: The slot outlives the longest export (its queries end at the statement timeout), so a worker that
#: died holding one frees it by itself.
EXPORT_SLOT_SECONDS = 60
EXPORT_RETRY_AFTER_SECONDS = 2
EXPORT_STATEMENT_TIMEOUT_MS = 20_000


@contextmanager
def export_slot(*, tenant):
    """Holds one of the tenant's export slots for the block; none free: 429 with ``Retry-After``."""
    token = uuid.uuid4().hex
    for number in range(EXPORTS_AT_ONCE_PER_TENANT):
        key = f"reports:export-slot:{tenant.pk}:{number}"
        if cache.add(key, token, timeout=EXPORT_SLOT_SECONDS):
            break
    else:
        raise rate_limited(
            "Another export of this workspace is still running; retry when it is done.", EXPORT_RETRY_AFTER_SECONDS
        )
    try:
        yield
    finally:
        if cache.get(key) == token:  # only our own slot (after a stall past its expiry it is someone else's)
            cache.delete(key)


@contextmanager
def bounded_queries(*, timeout_ms: int | None = None):
    """The block's SQL in one transaction whose statements end after ``timeout_ms`` (default
    ``EXPORT_STATEMENT_TIMEOUT_MS``; PostgreSQL only); a statement cut off is 503 with ``Retry-After``."""
    timeout_ms = timeout_ms or EXPORT_STATEMENT_TIMEOUT_MS
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT set_config('statement_timeout', %s, true)", [str(timeout_ms)])
            yield
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", None) != "57014":  # query_canceled
            raise
        raise ApiError(
            ErrorCode.SERVICE_UNAVAILABLE,
            "The export took too long; choose a shorter period or retry later.",
            status=503,
            headers={"Retry-After": str(EXPORT_RETRY_AFTER_SECONDS)},
        ) from exc


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
