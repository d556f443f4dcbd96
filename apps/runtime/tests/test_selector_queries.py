"""Selectors that build one response read each thing once: their query counts are fixed."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.billing.tests.factories import AiUsageLogFactory
from apps.plans import entitlements
from apps.plans.tests.factories import subscribe
from apps.runtime import selectors
from apps.tenants.tests.factories import TenantFactory

pytestmark = pytest.mark.django_db

AI_FEATURES = {"chat": True, "ai_chat": True, "ai_voice": True, "ai_video": True, "reports_export": True}
QUOTAS = {"ai_chat_replies": 100, "ai_voice_minutes": 10, "contacts": 1000, "allowed_domains": 5}


@pytest.fixture
def tenant():
    tenant = TenantFactory()
    subscribe(tenant, features=AI_FEATURES, quotas=QUOTAS)
    AiUsageLogFactory.create_batch(3, tenant=tenant)
    entitlements.for_tenant(tenant)  # warm: the plan is cached; what remains is per-response reading
    return tenant


def _queries(call) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        call()
    return [q["sql"] for q in ctx.captured_queries]


def test_tenant_readiness_reads_each_thing_once(tenant):
    """Allowed domains, AI balance, knowledge documents, the two included AI quotas' usage, toggles: 6."""
    sql = _queries(lambda: selectors.tenant_readiness(tenant=tenant))
    assert len(sql) == 6, sql
    assert sum("billing_aibalance" in q for q in sql) == 1  # AI readiness computed once, not per service


def test_admin_subscription_counts_each_usage_once(tenant):
    """One count per counted quota (contacts, AI chat replies, AI voice minutes, attachment storage): 4."""
    sql = _queries(lambda: selectors.admin_subscription(tenant=tenant))
    assert len(sql) == 4, sql
    assert sum("billing_aiusagelog" in q for q in sql) == 2
    assert sum("chat_attachment" in q for q in sql) == 1
