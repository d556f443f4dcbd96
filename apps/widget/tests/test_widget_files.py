"""What the server sends for the widget: the script (size budget, caching, CORS), its strings tables, and
the ``/demo/`` page (DEBUG and the demo tenant only)."""

from __future__ import annotations

import gzip
import json
import re

import pytest

from apps.platform.demo import demo_seed
from apps.widget import assets

pytestmark = pytest.mark.django_db
GZIP_BUDGET_BYTES = 30 * 1024


def test_the_script_is_served_with_cache_headers_cors_and_an_etag_and_is_within_its_gzip_budget(client):
    response = client.get("/widget/v1.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Access-Control-Allow-Origin"] == "*"  # any page may load it; the API decides what it may do
    assert response["Cache-Control"] == "public, max-age=300, stale-while-revalidate=86400"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content == assets.SCRIPT.read_bytes()
    gzipped = len(gzip.compress(response.content, compresslevel=9))
    assert gzipped <= GZIP_BUDGET_BYTES, f"v1.js is {gzipped} bytes gzipped, over the {GZIP_BUDGET_BYTES} budget"

    again = client.get("/widget/v1.js", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    assert again.content == b""
    assert client.head("/widget/v1.js").status_code == 200
    assert client.post("/widget/v1.js").status_code == 405


def test_every_string_the_script_uses_is_in_every_strings_table(client):
    used = set(re.findall(r"\bt\('([A-Za-z]+)'", assets.SCRIPT.read_text()))
    used |= set(re.findall(r"'(call[A-Z][A-Za-z]+)'", assets.SCRIPT.read_text()))  # call states named indirectly
    english = json.loads((assets.STRINGS_DIR / "en.json").read_text())
    assert used - set(english) == set()
    for language in assets.languages():
        response = client.get(f"/widget/v1/strings/{language}.json")
        assert response.status_code == 200
        assert response["Access-Control-Allow-Origin"] == "*"
        assert set(json.loads(response.content)) == set(english), f"{language}.json has other keys than en.json"


@pytest.mark.parametrize("name", ["xx", "EN-US-LONGER-THAN-ALLOWED", "..%2Fv1", "en.json"])
def test_an_unknown_or_malformed_language_is_404(client, name):
    assert client.get(f"/widget/v1/strings/{name}.json").status_code == 404


def test_the_demo_page_embeds_the_widget_for_the_demo_tenant_with_a_strict_policy(client, settings):
    settings.DEBUG = True
    assert client.get("/demo/").status_code == 404  # no demo tenant yet
    tenant = demo_seed().tenant
    response = client.get("/demo/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<script src="http://testserver/widget/v1.js" data-client-id="{tenant.public_id}" async></script>' in html
    policy = response["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert "style-src 'self';" in policy
    assert "unsafe" not in policy
    assert "<script>" not in html
    assert "style=" not in html

    settings.DEBUG = False
    assert client.get("/demo/").status_code == 404
