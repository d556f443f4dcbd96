"""End to end in a real browser: an operator signs in to /admin/, tops up a tenant, sees the new balance.

Debian's chromium (``/usr/bin/chromium``) driven by Playwright's Python package; no browser
download. Missing chromium skips locally and FAILS under CI=true (``.ci/run`` installs it).

Playwright's sync API runs an asyncio event loop in this thread, and Django refuses ORM
calls from a thread with a running loop (``SynchronousOnlyOperation``). The test's own
ORM calls (creating the operator and tenant, reading the ledger) happen in that same
thread while the loop exists, so ``DJANGO_ALLOW_ASYNC_UNSAFE`` is set for this module's
browser fixture (``monkeypatch``, so other tests keep Django's guard); nothing here runs
concurrently with the loop, which is what the guard protects against.
"""

import os
import shutil

import pytest
from django.db import connections

from apps.platform.models import AiBalance, AiLedgerEntry
from apps.platform.tests.factories import fund_ai, subscribe
from apps.tenants.models import PlatformRole
from apps.tenants.tests.factories import DEFAULT_PASSWORD, OwnerFactory, PlatformOperatorFactory

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _require_chromium():
    if os.path.exists(CHROMIUM) or shutil.which("chromium"):
        return
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"CI=true: Debian's chromium is missing at {CHROMIUM} (apt-get install chromium)")
    pytest.skip("Debian's chromium is not installed")


@pytest.fixture
def browser_page(monkeypatch):
    _require_chromium()
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page()
            page.set_default_timeout(15_000)
            yield page
        finally:
            browser.close()
            # Django's connections are context-local (asgiref), so the ORM calls made while
            # Playwright's loop runs opened a connection of their own: close it, or it would
            # keep the test database busy and block dropping it at the end of the session.
            connections.close_all()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_operator_logs_in_tops_up_a_tenant_and_sees_the_new_balance(live_server, browser_page):
    operator = PlatformOperatorFactory(platform_role=PlatformRole.ADMIN, email="ops@ringnity.example")
    tenant = OwnerFactory().tenant
    subscribe(tenant, plan_slug="starter", features={"chat": True})
    fund_ai(tenant, 500)
    page = browser_page

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
