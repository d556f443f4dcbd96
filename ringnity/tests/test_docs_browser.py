"""The API docs render in a real browser with every non-local request refused."""

from urllib.parse import urlparse

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


@pytest.mark.parametrize(("url", "marker"), [("/api/docs/", ".opblock"), ("/api/redoc/", "[data-section-id]")])
def test_docs_render_offline(live_server, chromium_page, url, marker):
    outside = []

    def only_local(route):
        host = urlparse(route.request.url).hostname
        if host in {"localhost", "127.0.0.1"}:
            route.continue_()
        else:
            outside.append((route.request.resource_type, route.request.url))
            route.abort()

    chromium_page.route("**/*", only_local)
    chromium_page.goto(live_server.url + url)
    chromium_page.wait_for_selector(marker, timeout=20_000)
    assert "sdk/health" in chromium_page.content()
    # Redoc's sidebar credit links a logo image from its CDN; it is decorative and the page renders
    # without it. Everything the page needs (scripts, styles, fonts, the schema) is served locally.
    assert [(kind, u) for kind, u in outside if kind != "image"] == []
