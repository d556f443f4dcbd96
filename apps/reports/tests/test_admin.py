"""Console: an operator requests an export for any tenant and downloads it when done; support only reads."""

import pytest
from django.urls import reverse

from apps.reports.models import ExportStatus, ReportExport
from apps.reports.tasks import generate_export
from apps.reports.tests import factories as f
from apps.tenants.models import PlatformRole
from apps.tenants.tests.factories import OwnerFactory, PlatformOperatorFactory, TenantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenant(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    tenant = TenantFactory(timezone="Europe/Berlin")
    f.conversation(tenant, at=f.local("2026-01-10 09:00"))
    return tenant


def _console(client, role):
    client.force_login(PlatformOperatorFactory(platform_role=role))
    return client


def _request(console, tenant, **extra):
    data = {"tenant": tenant.pk, "period_type": "custom", "first_day": "2026-01-10", "last_day": "2026-01-11"}
    return console.post(reverse("admin:reports_reportexport_add"), {**data, "format": "csv", **extra})


def test_admin_requests_an_export_then_downloads_the_file(client, tenant, django_capture_on_commit_callbacks):
    console = _console(client, PlatformRole.ADMIN)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = _request(console, tenant)
    assert response.status_code == 302, response.content.decode()[:2000]
    export = ReportExport.objects.get()
    assert export.status == ExportStatus.PENDING
    assert export.requested_via == "console"
    assert export.requested_by.platform_role == PlatformRole.ADMIN
    assert len(callbacks) == 1
    generate_export(export.pk)
    listing = console.get(reverse("admin:reports_reportexport_changelist"))
    download = reverse("admin:reports_reportexport_download", args=[export.pk])
    assert download in listing.content.decode()
    file = console.get(download)
    assert file.status_code == 200
    assert file["Content-Disposition"].startswith("attachment;")
    assert tenant.slug in file["Content-Disposition"]
    assert b"section,summary" in b"".join(file.streaming_content)


def test_invalid_custom_range_is_a_form_error_and_records_nothing(client, tenant):
    response = _request(_console(client, PlatformRole.ADMIN), tenant, first_day="2026-01-12", last_day="2026-01-10")
    assert response.status_code == 200
    assert b"endDate" in response.content
    assert not ReportExport.objects.exists()


def test_support_reads_and_downloads_but_cannot_request(client, tenant):
    export = ReportExport.objects.create(
        tenant=tenant, period_type="today", first_day="2026-01-10", last_day="2026-01-10", format="json"
    )
    generate_export(export.pk)
    console = _console(client, PlatformRole.SUPPORT)
    assert console.get(reverse("admin:reports_reportexport_changelist")).status_code == 200
    assert _request(console, tenant).status_code == 403
    assert ReportExport.objects.count() == 1
    download = reverse("admin:reports_reportexport_download", args=[export.pk])
    assert console.get(download).status_code == 200


def test_tenant_staff_cannot_download(client, tenant):
    export = ReportExport.objects.create(
        tenant=tenant, period_type="today", first_day="2026-01-10", last_day="2026-01-10", format="json"
    )
    generate_export(export.pk)
    client.force_login(OwnerFactory(tenant=tenant))
    response = client.get(reverse("admin:reports_reportexport_download", args=[export.pk]))
    assert response.status_code in (302, 403)
