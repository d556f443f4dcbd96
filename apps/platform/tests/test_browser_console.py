"""End to end in a real browser: an operator signs in to /admin/, tops up a tenant, sees the new balance.

The page comes from the root ``chromium_page`` fixture (Debian's chromium through Playwright).
"""

import pytest

from apps.billing.models import AiBalance, AiLedgerEntry
from apps.billing.tests.factories import fund_ai
from apps.plans.tests.factories import subscribe
from apps.tenants.models import PlatformRole
from apps.tenants.tests.factories import DEFAULT_PASSWORD, OwnerFactory, PlatformOperatorFactory


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_operator_logs_in_tops_up_a_tenant_and_sees_the_new_balance(live_server, chromium_page):
    operator = PlatformOperatorFactory(platform_role=PlatformRole.ADMIN, email="ops@ringnity.example")
    tenant = OwnerFactory().tenant
    subscribe(tenant, plan_slug="starter", features={"chat": True})
    fund_ai(tenant, 500)
    page = chromium_page

    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", operator.email)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    assert "Ringnity Platform Console" in page.content()

    page.goto(f"{live_server.url}/admin/tenants/tenant/{tenant.pk}/change/")
    assert page.inner_text("#ai-balance") == "$5.00"
    page.click("#top-up-link")
    page.fill("#id_amount_usd", "19.99")
    page.fill("#id_note", "Browser top-up")
    page.click("#top-up-submit")

    page.wait_for_url(f"**/admin/tenants/tenant/{tenant.pk}/change/")
    assert page.inner_text("#ai-balance") == "$24.99"
    assert "balance $5.00 → $24.99" in page.inner_text(".messagelist")
    assert AiBalance.objects.get(tenant=tenant).balance_cents == 2499
    assert AiLedgerEntry.objects.for_tenant(tenant).filter(note="Browser top-up", created_by=operator).count() == 1
