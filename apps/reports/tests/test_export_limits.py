"""What one tenant's exports may take from the web tier: one at a time, and SQL cut off at a timeout."""

import pytest
from django.core.cache import cache
from django.db import connection

from apps.reports import exports
from apps.reports.tests.test_api_reports import ADMIN, JAN, SERVER, _headers
from apps.runtime.tests.fixtures import ready_tenant
from ringnity.testing.ci import require_postgresql

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenants():
    return ready_tenant(timezone="Europe/Berlin"), ready_tenant(timezone="Europe/Berlin")


@pytest.mark.parametrize(("kind", "routes"), [("server", SERVER), ("admin", ADMIN)])
def test_a_second_concurrent_export_of_a_tenant_is_429_with_retry_after(
    api_client, assert_contract, tenants, kind, routes
):
    tenant, other = tenants
    path, op = routes["export"]
    with exports.export_slot(tenant=tenant):  # an export of the tenant is running in another worker
        for fmt in ("json", "csv"):
            response = api_client.get(path, {**JAN, "format": fmt}, **_headers(kind, tenant))
            body = assert_contract(response, op, status=429)
            assert body["code"] == "RATE_LIMITED"
            assert response["Retry-After"] == str(exports.EXPORT_RETRY_AFTER_SECONDS)
        assert_contract(api_client.get(path, JAN, **_headers(kind, other)), op, status=200)  # others unaffected
    assert_contract(api_client.get(path, JAN, **_headers(kind, tenant)), op, status=200)  # freed when it ends
    assert_contract(api_client.get(path, JAN, **_headers(kind, tenant)), op, status=200)  # and by each export


def test_a_failed_export_frees_its_slot_and_a_slot_is_released_only_by_its_holder(tenants):
    tenant, _ = tenants
    with pytest.raises(RuntimeError), exports.export_slot(tenant=tenant):
        raise RuntimeError("the export failed")
    with exports.export_slot(tenant=tenant):
        pass
    key = f"reports:export-slot:{tenant.pk}:0"
    with exports.export_slot(tenant=tenant):
        cache.set(key, "a later holder's token", 60)  # ours expired meanwhile and another export took it
    assert cache.get(key) == "a later holder's token"
    cache.delete(key)


def test_an_export_whose_sql_runs_past_the_statement_timeout_is_503_and_frees_the_slot(
    api_client, tenants, monkeypatch
):
    require_postgresql("needs PostgreSQL's statement_timeout")
    tenant, _ = tenants

    def slow_report(**kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(5)")

    monkeypatch.setattr(exports, "report_build", slow_report)
    monkeypatch.setattr(exports, "EXPORT_STATEMENT_TIMEOUT_MS", 50)
    path, _ = SERVER["export"]
    response = api_client.get(path, {**JAN, "format": "csv"}, **_headers("server", tenant))
    assert response.status_code == 503
    assert response.json()["code"] == "SERVICE_UNAVAILABLE"
    assert response["Retry-After"]
    monkeypatch.undo()
    assert api_client.get(path, {**JAN, "format": "csv"}, **_headers("server", tenant)).status_code == 200
