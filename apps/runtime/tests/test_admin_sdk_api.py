"""Admin SDK reads: admin runtime tokens only, each answer about the token's tenant only."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.developer.models import AllowedDomain, ServiceToggle
from apps.runtime.tests.fixtures import ready_tenant, runtime_headers
from apps.runtime.tokens import TokenKind
from apps.tenants.models import Presence, StaffRole
from apps.tenants.tests.factories import DepartmentFactory, StaffFactory

pytestmark = pytest.mark.django_db

ROUTES = [
    ("/api/admin-sdk/tenant", "getAdminTenant"),
    ("/api/admin-sdk/readiness", "getAdminReadiness"),
    ("/api/admin-sdk/domains", "getAdminDomains"),
    ("/api/admin-sdk/services", "getAdminServices"),
    ("/api/admin-sdk/subscription", "getAdminSubscription"),
    ("/api/admin-sdk/ai-readiness", "getAdminAiReadiness"),
    ("/api/admin-sdk/staff-summary", "getAdminStaffSummary"),
]


@pytest.fixture
def tenant():
    tenant = ready_tenant()
    AllowedDomain.objects.create(tenant=tenant, domain="shop.example.com")
    return tenant


@pytest.fixture
def admin(tenant):
    return runtime_headers(tenant, TokenKind.ADMIN, subject="crm-admin-1", context={"name": "Ann", "role": "admin"})


@pytest.mark.parametrize(("url", "operation"), ROUTES)
def test_every_admin_read_is_contract_valid(api_client, assert_contract, admin, url, operation):
    assert_contract(api_client.get(url, **admin), operation, status=200)


@pytest.mark.parametrize(("url", "operation"), ROUTES)
@pytest.mark.parametrize("kind", [TokenKind.VISITOR, TokenKind.AGENT])
def test_visitor_and_agent_tokens_are_refused(api_client, assert_contract, tenant, url, operation, kind):
    subject = StaffFactory(tenant=tenant).public_id if kind == TokenKind.AGENT else "vis_1"
    response = api_client.get(url, **runtime_headers(tenant, kind, subject=subject))
    assert_contract(response, operation, status=401)
    assert response.json()["code"] == "AUTH_TOKEN_INVALID"


@pytest.mark.parametrize(("url", "operation"), ROUTES)
def test_missing_session_is_401(api_client, assert_contract, url, operation):
    response = api_client.get(url)
    assert_contract(response, operation, status=401)
    assert response.json()["code"] == "SDK_SESSION_REQUIRED"


def test_an_admin_token_without_admin_read_is_403(api_client, assert_contract, tenant):
    headers = runtime_headers(tenant, TokenKind.ADMIN, scopes=["admin:reports:read"])
    assert_contract(api_client.get("/api/admin-sdk/tenant", **headers), "getAdminTenant", status=403)


def test_tenant_and_admin_identity(api_client, assert_contract, tenant, admin):
    data = assert_contract(api_client.get("/api/admin-sdk/tenant", **admin), "getAdminTenant", 200)["data"]
    assert data["tenant"]["clientId"] == tenant.public_id
    assert data["admin"]["actorId"] == "crm-admin-1"
    assert data["admin"]["name"] == "Ann"


def test_domains_services_and_subscription_are_the_tokens_tenants(api_client, assert_contract, tenant, admin):
    other = ready_tenant(features={"chat": True, "video_call": True})
    AllowedDomain.objects.create(tenant=other, domain="other.example.org")
    ServiceToggle.objects.create(tenant=tenant, service="voice_call", admin_enabled=False)
    domains = api_client.get("/api/admin-sdk/domains", **admin).json()["data"]
    assert domains == {"allowedDomains": ["shop.example.com"]}
    services = assert_contract(api_client.get("/api/admin-sdk/services", **admin), "getAdminServices", 200)["data"]
    assert services["capabilities"]["voice_call"]["status"] == "disabled_by_admin"
    assert services["capabilities"]["video_call"]["status"] == "not_in_plan"
    subscription = api_client.get("/api/admin-sdk/subscription", **admin).json()["data"]["subscription"]
    assert subscription["planSlug"] == f"test-{tenant.slug}"
    assert "server_api" in subscription["features"]
    assert subscription["quotas"]["contacts"]["valueType"] == "unlimited"


def test_ai_readiness_says_whether_any_ai_feature_can_be_used(api_client, assert_contract, admin):
    data = assert_contract(api_client.get("/api/admin-sdk/ai-readiness", **admin), "getAdminAiReadiness", 200)["data"]
    assert data["canUseAiFeature"] is False
    assert "services" in data["ai"]


def test_staff_summary_counts_by_role_department_and_presence(api_client, assert_contract, tenant, admin):
    sales = DepartmentFactory(tenant=tenant, name="Sales")
    StaffFactory(tenant=tenant, department=sales, presence=Presence.ONLINE)
    StaffFactory(tenant=tenant, department=sales, presence=Presence.OFFLINE)
    StaffFactory(tenant=tenant, role=StaffRole.SUPERVISOR, presence=Presence.ONLINE)
    StaffFactory(tenant=tenant, is_active=False, presence=Presence.ONLINE)
    StaffFactory(tenant=ready_tenant(), presence=Presence.ONLINE)  # another tenant: never counted
    data = assert_contract(api_client.get("/api/admin-sdk/staff-summary", **admin), "getAdminStaffSummary", 200)["data"]
    assert data["totalStaff"] == 3
    assert data["byRole"]["agent"] == 2
    assert data["byRole"]["supervisor"] == 1
    assert data["byPresence"]["online"] == 2
    assert data["agentsOnline"] == 2
    by_name = {d["name"]: d for d in data["departments"]}
    assert by_name["Sales"]["staff"] == 2
    assert by_name["Sales"]["online"] == 1
    assert by_name["Unassigned"]["staff"] == 1


def test_staff_summary_query_count_does_not_grow_with_staff(api_client, assert_contract, tenant, admin):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            response = api_client.get("/api/admin-sdk/staff-summary", **admin)
        assert_contract(response, "getAdminStaffSummary", status=200)
        return len(ctx)

    StaffFactory(tenant=tenant)
    count()  # warms the tenant's plan (entitlements and the request rate limits)
    few = count()
    for _ in range(15):
        StaffFactory(tenant=tenant, department=DepartmentFactory(tenant=tenant))
    assert count() == few
