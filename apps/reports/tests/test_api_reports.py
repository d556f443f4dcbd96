"""The six report operations: contract shapes, every error case, cross-tenant isolation."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.reports.tests import factories as f
from apps.runtime.tests.fixtures import ready_tenant, runtime_headers, server_headers
from apps.runtime.tokens import TokenKind
from apps.tenants.tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

JAN = {"period": "custom", "startDate": "2026-01-10", "endDate": "2026-01-12"}
SERVER = {
    "summary": ("/api/server/reports/summary", "getServerReportSummary"),
    "timeseries": ("/api/server/reports/timeseries", "getServerReportTimeseries"),
    "export": ("/api/server/reports/export", "exportServerReport"),
}
ADMIN = {
    "summary": ("/api/admin-sdk/reports/summary", "getAdminReportSummary"),
    "timeseries": ("/api/admin-sdk/reports/timeseries", "getAdminReportTimeseries"),
    "export": ("/api/admin-sdk/reports/export", "exportAdminReport"),
}


@pytest.fixture
def world():
    tenant = ready_tenant(timezone="Europe/Berlin")
    alice = StaffFactory(tenant=tenant, username="alice", name="=Alice")
    bob = StaffFactory(tenant=tenant, username="bob", name="Bob")
    f.scenario(tenant, alice, bob)
    other = ready_tenant(timezone="Europe/Berlin")
    stranger = StaffFactory(tenant=other, username="stranger")
    f.scenario(other, stranger, StaffFactory(tenant=other))
    return {"tenant": tenant, "alice": alice, "other": other, "stranger": stranger}


def _headers(kind, tenant):
    if kind == "server":
        return server_headers(tenant, scopes=["server:reports:read"])
    return runtime_headers(tenant, TokenKind.ADMIN, subject="adm_1")


@pytest.mark.parametrize(("kind", "routes"), [("server", SERVER), ("admin", ADMIN)])
def test_summary_timeseries_and_json_export_validate_and_hold_the_figures(
    api_client, assert_contract, world, kind, routes
):
    headers = _headers(kind, world["tenant"])
    path, op = routes["summary"]
    body = assert_contract(api_client.get(path, JAN, **headers), op, status=200)
    assert body["data"]["summary"]["totalConversations"] == 4
    assert body["data"]["summary"]["chat"]["firstResponseSeconds"]["median"] == 45.0
    assert body["data"]["period"]["start"] == "2026-01-10T00:00:00+01:00"
    assert body["data"]["period"]["end"] == "2026-01-12T23:59:59.999999+01:00"
    path, op = routes["timeseries"]
    body = assert_contract(api_client.get(path, JAN, **headers), op, status=200)
    assert [p["messages"] for p in body["data"]["timeseries"]] == [3, 4, 2]
    path, op = routes["export"]
    response = api_client.get(path, JAN, **headers)
    body = assert_contract(response, op, status=200)
    assert body["data"]["format"] == "json"
    assert body["data"]["report"]["summary"]["totalMessages"] == 9
    assert world["tenant"].slug in response["Content-Disposition"]


@pytest.mark.parametrize(("kind", "routes"), [("server", SERVER), ("admin", ADMIN)])
def test_csv_export_is_an_attachment_with_three_sections_and_escaped_cells(api_client, world, kind, routes):
    path, _ = routes["export"]
    response = api_client.get(path, {**JAN, "format": "csv"}, **_headers(kind, world["tenant"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert world["tenant"].slug in disposition
    assert "custom-2026-01-10_2026-01-12" in disposition
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert ["section", "summary"] in rows
    assert ["section", "agents"] in rows
    assert ["section", "daily"] in rows
    assert ["calls", "totalIncoming", "4"] in rows
    names = [row[1] for row in rows if row and row[0] == world["alice"].public_id]
    assert names == ["'=Alice"]
    assert len([row for row in rows if row and row[0].startswith("2026-01-")]) == 3


@pytest.mark.parametrize(("kind", "routes"), [("server", SERVER), ("admin", ADMIN)])
def test_agent_filter_and_another_tenants_agent_is_404(api_client, assert_contract, world, kind, routes):
    headers = _headers(kind, world["tenant"])
    path, op = routes["summary"]
    body = assert_contract(
        api_client.get(path, {**JAN, "agentId": world["alice"].public_id}, **headers), op, status=200
    )
    assert body["data"]["summary"]["totalConversations"] == 2
    assert [a["username"] for a in body["data"]["agentBreakdown"]] == ["alice"]
    for agent_id in (world["stranger"].public_id, "usr_unknown"):
        body = assert_contract(api_client.get(path, {**JAN, "agentId": agent_id}, **headers), op, status=404)
        assert body["code"] == "NOT_FOUND"


@pytest.mark.parametrize(("kind", "routes"), [("server", SERVER), ("admin", ADMIN)])
def test_tenant_b_credentials_see_only_tenant_b(api_client, assert_contract, world, kind, routes):
    f.conversation(world["other"], at=f.local("2026-01-11 12:00"))
    path, op = routes["summary"]
    body = assert_contract(api_client.get(path, JAN, **_headers(kind, world["other"])), op, status=200)
    assert body["data"]["summary"]["totalConversations"] == 5
    assert world["alice"].public_id not in str(body)


@pytest.mark.parametrize(
    ("query", "code", "fields"),
    [
        ({"period": "custom"}, "REPORT_DATE_RANGE_INVALID", ["startDate", "endDate"]),
        ({"period": "custom", "startDate": "2026-01-10"}, "REPORT_DATE_RANGE_INVALID", ["endDate"]),
        (
            {"period": "custom", "startDate": "yesterday", "endDate": "2026-13-40"},
            "REPORT_DATE_RANGE_INVALID",
            ["startDate", "endDate"],
        ),
        (
            {"period": "custom", "startDate": "2026-01-12", "endDate": "2026-01-10"},
            "REPORT_DATE_RANGE_INVALID",
            ["endDate"],
        ),
        (
            {"period": "custom", "startDate": "2025-01-01", "endDate": "2026-01-02"},
            "REPORT_DATE_RANGE_INVALID",
            ["endDate"],
        ),
        ({"period": "week"}, "VALIDATION_FAILED", ["period"]),
    ],
)
@pytest.mark.parametrize(("kind", "routes"), [("server", SERVER), ("admin", ADMIN)])
def test_bad_periods_are_400_listing_each_field(api_client, assert_contract, world, kind, routes, query, code, fields):
    for name in ("summary", "timeseries", "export"):
        path, op = routes[name]
        body = assert_contract(api_client.get(path, query, **_headers(kind, world["tenant"])), op, status=400)
        assert body["code"] == code
        assert sorted(d.split(":")[0] for d in body["details"]) == sorted(fields)


@pytest.mark.parametrize(("kind", "routes"), [("server", SERVER), ("admin", ADMIN)])
def test_unknown_export_format_is_400(api_client, assert_contract, world, kind, routes):
    path, op = routes["export"]
    body = assert_contract(
        api_client.get(path, {**JAN, "format": "xml"}, **_headers(kind, world["tenant"])), op, status=400
    )
    assert body["code"] == "VALIDATION_FAILED"
    assert body["details"][0].startswith("format:")


def test_a_366_day_range_is_accepted(api_client, assert_contract, world):
    query = {"period": "custom", "startDate": "2025-01-02", "endDate": "2026-01-02"}
    path, op = SERVER["timeseries"]
    body = assert_contract(api_client.get(path, query, **_headers("server", world["tenant"])), op, status=200)
    assert len(body["data"]["timeseries"]) == 366


def test_date_times_are_read_in_the_tenants_timezone(api_client, assert_contract, world):
    query = {"period": "custom", "startDate": "2026-01-10T23:30:00Z", "endDate": "2026-01-11T10:00:00"}
    path, op = SERVER["timeseries"]
    body = assert_contract(api_client.get(path, query, **_headers("server", world["tenant"])), op, status=200)
    assert [p["date"] for p in body["data"]["timeseries"]] == ["2026-01-11"]


@pytest.mark.parametrize("period", ["today", "7days", "30days"])
def test_presets_end_today(api_client, assert_contract, world, period):
    path, op = ADMIN["timeseries"]
    body = assert_contract(
        api_client.get(path, {"period": period}, **_headers("admin", world["tenant"])), op, status=200
    )
    assert len(body["data"]["timeseries"]) == {"today": 1, "7days": 7, "30days": 30}[period]


def test_server_key_without_the_reports_scope_is_403(api_client, assert_contract, world):
    headers = server_headers(world["tenant"], scopes=["server:health"])
    for name, (path, op) in SERVER.items():
        body = assert_contract(api_client.get(path, JAN, **headers), op, status=403)
        assert body["code"] == "SERVER_API_SCOPE_DENIED", name


def test_admin_token_without_report_scopes_is_403_and_export_needs_the_export_scope(api_client, assert_contract, world):
    read_only = runtime_headers(world["tenant"], TokenKind.ADMIN, subject="adm_2", scopes=["admin:reports:read"])
    path, op = ADMIN["summary"]
    assert_contract(api_client.get(path, JAN, **read_only), op, status=200)
    path, op = ADMIN["export"]
    assert assert_contract(api_client.get(path, JAN, **read_only), op, status=403)["code"] == "PERMISSION_DENIED"
    nothing = runtime_headers(world["tenant"], TokenKind.ADMIN, subject="adm_3", scopes=["admin:read"])
    path, op = ADMIN["summary"]
    assert_contract(api_client.get(path, JAN, **nothing), op, status=403)


def test_other_token_kinds_and_no_credentials_are_401(api_client, assert_contract, world):
    tenant = world["tenant"]
    agent = runtime_headers(tenant, TokenKind.AGENT, subject=world["alice"].public_id)
    for path, op in ADMIN.values():
        assert_contract(api_client.get(path, JAN, **agent), op, status=401)
        assert_contract(api_client.get(path, JAN), op, status=401)
    admin = runtime_headers(tenant, TokenKind.ADMIN, subject="adm_1")
    for path, op in SERVER.values():
        assert_contract(api_client.get(path, JAN, **admin), op, status=401)


def test_export_needs_the_reports_export_plan_feature(api_client, assert_contract):
    tenant = ready_tenant(features={"server_api": True, "reports_export": False})
    path, op = SERVER["export"]
    body = assert_contract(api_client.get(path, JAN, **_headers("server", tenant)), op, status=403)
    assert body["code"] == "FEATURE_NOT_AVAILABLE"
    path, op = SERVER["summary"]
    assert_contract(api_client.get(path, JAN, **_headers("server", tenant)), op, status=200)


def test_summary_reads_a_constant_number_of_queries(api_client, world):
    path, _ = SERVER["summary"]
    headers = _headers("server", world["tenant"])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api_client.get(path, JAN, **headers).status_code == 200
        return len(queries)

    count()  # the first request also fills the key, plan and tenant caches
    before = count()
    for n in range(20):
        at = f.local(f"2026-01-11 0{n % 10}:00")
        conv = f.conversation(world["tenant"], at=at, agent=StaffFactory(tenant=world["tenant"]), status="closed")
        f.message(conv, after=5, sender="agent")
        f.call(conv, at=at, answered_after=2, duration=30)
    assert count() == before
