"""The first hour in a real browser: the operator ``make run`` prints signs in; tenant, plan and docs pages.

Screenshots go to ``$DATA_DIR/screenshots/`` (``var/screenshots/`` by default) for a human to look at.
"""

from pathlib import Path

import pytest
from django.conf import settings

from apps.chat.models import Contact
from apps.plans.models import Plan
from apps.platform.demo import DEMO_OPERATOR_EMAIL, DEMO_PASSWORD, demo_seed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: Text of Python docstrings that once leaked into the served docs.
INTERNAL_DOCSTRING_TEXT = ("self.tenant", "self.cors_domains", "``", "Subclasses set", "Views set")


def _shots() -> Path:
    folder = Path(settings.DATA_DIR) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _sign_in(page, base: str) -> None:
    page.goto(f"{base}/admin/")
    page.fill("#id_username", DEMO_OPERATOR_EMAIL)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#operator-dashboard")


def test_the_printed_operator_tours_tenant_plan_and_docs_pages(live_server, chromium_page, settings):
    settings.DEBUG = True
    seed = demo_seed()
    settings.DEBUG = False
    page = chromium_page
    page.set_viewport_size({"width": 1280, "height": 800})
    _sign_in(page, live_server.url)
    assert "professional" in page.inner_text("#dashboard-plans")
    page.screenshot(path=str(_shots() / "console-index.png"))

    page.goto(f"{live_server.url}/admin/tenants/tenant/{seed.tenant.pk}/change/")
    page.wait_for_selector("#ai-usage-inline svg")
    assert "AI usage, last 30 days" in page.content()
    page.screenshot(path=str(_shots() / "tenant.png"), full_page=True)

    plan = Plan.objects.get(slug="professional")
    page.goto(f"{live_server.url}/admin/plans/plan/{plan.pk}/change/")
    page.wait_for_selector("details.collapsed-json")
    page.screenshot(path=str(_shots() / "plan-1280x800.png"), full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the plan page scrolls sideways by {overflow}px at 1280 px"
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 3000, f"the plan page is {height}px tall"
    # Config stays editable: a row's <details> opens its textarea.
    page.click("details.collapsed-json summary")
    assert page.is_visible("details.collapsed-json[open] textarea")

    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".opblock", timeout=20_000)
    page.click("#operations-Server_API-upsertContact")
    page.wait_for_selector("#operations-Server_API-upsertContact .opblock-body")
    text = page.inner_text("body")
    assert "Create or update a customer contact." in text
    assert [needle for needle in INTERNAL_DOCSTRING_TEXT if needle in text] == []
    page.screenshot(path=str(_shots() / "docs.png"), full_page=True)


def test_docs_try_it_out_creates_a_contact_with_the_printed_key(live_server, chromium_page, settings):
    settings.DEBUG = True
    seed = demo_seed()
    settings.DEBUG = False
    page = chromium_page
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".opblock", timeout=20_000)

    page.click("button.authorize")
    scheme = page.locator(".auth-container").filter(has_text="ServerApiKey")
    scheme.locator("input").fill(seed.secret)
    scheme.locator("button.authorize").click()
    page.click("button.btn-done")

    page.click("#operations-Server_API-upsertContact .opblock-summary")
    operation = page.locator("#operations-Server_API-upsertContact")
    operation.locator("button.try-out__btn").click()
    operation.locator("textarea.body-param__text").fill('{"name": "Grace Hopper", "phone": "+14155550123"}')
    operation.locator("button.execute").click()
    status = operation.locator(".live-responses-table .response .response-col_status").first
    status.wait_for()
    assert status.inner_text().strip() == "200"
    assert Contact.objects.for_tenant(seed.tenant).filter(name="Grace Hopper").count() == 1
    page.screenshot(path=str(_shots() / "docs-try-it-out.png"), full_page=False)
