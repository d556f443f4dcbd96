"""Audit gaps on the platform API: per-tenant writes touch only the tenant in the path, tenant
credentials never reach platform routes, and the plan-contract list reads a constant number of queries.
"""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.billing.models import AiBalance, AiLedgerEntry
from apps.billing.tests.factories import fund_ai
from apps.identity.sessions import SessionScope, session_issue
from apps.plans.tests.factories import plan_with
from apps.tenants.tests.factories import OwnerFactory, TenantFactory

pytestmark = pytest.mark.django_db


def _ai_state(tenant):
    balance = AiBalance.objects.get(tenant=tenant)
    ledger = list(AiLedgerEntry.objects.for_tenant(tenant).values_list("pk", flat=True))
    return balance.balance_cents, balance.block_on_zero, ledger


def test_top_up_and_settings_change_only_the_tenant_in_the_path(api_client, assert_contract, admin_headers):
    target, bystander = TenantFactory(), TenantFactory()
    fund_ai(target, 100)
    fund_ai(bystander, 700)
    before = _ai_state(bystander)
    response = api_client.post(
        f"/api/platform/ai-balance/{target.public_id}/top-up", {"amountCents": 50}, **admin_headers
    )
    assert assert_contract(response, "topUpPlatformAiBalance", status=200)["data"]["clientId"] == target.public_id
    response = api_client.put(
        f"/api/platform/ai-balance/{target.public_id}/settings", {"blockOnZero": False}, **admin_headers
    )
    assert_contract(response, "updatePlatformAiBalanceTenantSettings", status=200)
    assert _ai_state(bystander) == before
    assert AiBalance.objects.get(tenant=target).balance_cents == 150


@pytest.mark.parametrize(
    ("method", "suffix", "operation", "body"),
    [
        ("post", "top-up", "topUpPlatformAiBalance", {"amountCents": 5000}),
        ("put", "settings", "updatePlatformAiBalanceTenantSettings", {"blockOnZero": False}),
    ],
)
def test_a_tenant_owner_cannot_use_platform_writes_even_on_its_own_tenant(
    api_client, assert_contract, method, suffix, operation, body
):
    owner = OwnerFactory()
    fund_ai(owner.tenant, 10)
    before = _ai_state(owner.tenant)
    access = session_issue(user=owner, scope=SessionScope.OWNER).access
    url = f"/api/platform/ai-balance/{owner.tenant.public_id}/{suffix}"
    response = getattr(api_client, method)(url, body, format="json", HTTP_AUTHORIZATION=f"Bearer {access}")
    assert assert_contract(response, operation, status=401)["code"] == "AUTH_TOKEN_INVALID"
    assert _ai_state(owner.tenant) == before


@pytest.mark.parametrize(
    ("method", "url", "operation"),
    [
        ("get", "/api/platform/plan-contracts", "getPlatformPlanContracts"),
        ("put", "/api/platform/plan-contracts", "updatePlatformPlanContracts"),
        ("get", "/api/platform/ai-pricing", "getPlatformAiPricing"),
        ("put", "/api/platform/ai-pricing", "updatePlatformAiPricing"),
        ("get", "/api/platform/ai-balance", "getPlatformAiBalance"),
    ],
)
@pytest.mark.parametrize("scope", [SessionScope.OWNER, SessionScope.WORKSPACE])
def test_a_tenant_dashboard_token_never_reads_or_writes_cross_tenant_platform_data(
    api_client, assert_contract, method, url, operation, scope
):
    TenantFactory(name="Someone Else Ltd")
    owner = OwnerFactory()
    access = session_issue(user=owner, scope=scope).access
    response = getattr(api_client, method)(url, {}, format="json", HTTP_AUTHORIZATION=f"Bearer {access}")
    assert assert_contract(response, operation, status=401)["code"] == "AUTH_TOKEN_INVALID"
    assert "Someone Else" not in response.content.decode()


def test_plan_contracts_query_count_does_not_grow_with_plans(api_client, assert_contract, admin_headers):
    call_command("seed_plans", stdout=open("/dev/null", "w"))  # noqa: SIM115

    def count():
        api_client.get("/api/platform/plan-contracts", **admin_headers)  # warm-up: caches filled
        with CaptureQueriesContext(connection) as ctx:
            response = api_client.get("/api/platform/plan-contracts", **admin_headers)
        return len(ctx), len(assert_contract(response, "getPlatformPlanContracts", status=200)["data"]["plans"])

    few, plans = count()
    for n in range(6):
        plan_with(
            slug=f"audit-{n}", features={"chat": True, "ai_chat": n % 2 == 0}, quotas={"agents": n, "contacts": 10}
        )
    many, more_plans = count()
    assert more_plans == plans + 6
    assert many == few
