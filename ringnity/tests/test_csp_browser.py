"""The console and the docs work in a real browser under their Content-Security-Policy (issue 9, finding 4).

Chromium reports every blocked script, style, worker or request as a ``securitypolicyviolation``
event and a console error; the test collects both and requires none, after checking that the
page really rendered (so a policy that blocks the page's own code cannot pass).
"""

import pytest

from apps.tenants.models import PlatformRole
from apps.tenants.tests.factories import DEFAULT_PASSWORD, OwnerFactory, PlatformOperatorFactory
from ringnity.testing.browser import csp_violations, watch_csp

pytestmark = [pytest.mark.browser]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "marker"), [("/api/docs/", ".opblock"), ("/api/redoc/", "[data-section-id]"), ("/", "#link-health")]
)
def test_docs_render_under_their_content_security_policy(live_server, chromium_page, url, marker):
    messages = watch_csp(chromium_page)
    response = chromium_page.goto(live_server.url + url)
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";", 1)[0]
    assert "frame-ancestors 'none'" in policy
    chromium_page.wait_for_selector(marker, timeout=20_000)
    assert "sdk/health" in chromium_page.content()
    # Redoc's credit logo from its CDN is refused by the policy, as it should be (decorative).
    assert [v for v in csp_violations(chromium_page, messages) if "cdn.redoc.ly" not in v] == []


@pytest.mark.django_db
def test_an_injected_inline_script_is_refused_on_the_docs_page(live_server, chromium_page):
    messages = watch_csp(chromium_page)
    chromium_page.goto(live_server.url + "/api/docs/")
    chromium_page.wait_for_selector(".opblock", timeout=20_000)
    chromium_page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.__pwned = 1';"
        " document.body.appendChild(s); }"
    )
    assert chromium_page.evaluate("window.__pwned") is None
    assert any("script-src" in v for v in csp_violations(chromium_page, messages))


@pytest.mark.django_db(transaction=True)
def test_the_console_works_under_its_content_security_policy(live_server, chromium_page):
    operator = PlatformOperatorFactory(platform_role=PlatformRole.ADMIN, email="csp@ringnity.example")
    page = chromium_page
    messages = watch_csp(page)
    response = page.goto(f"{live_server.url}/admin/")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    page.fill("#id_username", operator.email)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    tenant = OwnerFactory().tenant
    response = page.goto(f"{live_server.url}/admin/tenants/tenant/{tenant.pk}/change/")
    assert "content-security-policy" in response.headers
    page.wait_for_selector("#content-main form")
    # The admin's own scripts run: nav_sidebar.js collapses the sidebar on a click.
    shifted = page.get_attribute("#main", "class")
    page.click("#toggle-nav-sidebar")
    assert page.get_attribute("#main", "class") != shifted
    assert csp_violations(page, messages) == []
