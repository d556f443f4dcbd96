"""``make run``'s server: seeds the demo, ends with a banner, and the banner's curl works as printed."""

import json
import os
import re
import select
import shlex
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import requests
from drf_spectacular.generators import SchemaGenerator
from websockets.sync.client import connect

from apps.developer.models import AllowedDomain, ServerApiKey
from apps.developer.services import SERVER_API_SCOPES
from apps.plans.entitlements import for_tenant
from apps.platform.demo import DEMO_OPERATOR_EMAIL, DEMO_PASSWORD, DEMO_SLUG, demo_seed
from apps.platform.management.commands.rundemo import served_base_url
from apps.tenants.models import StaffRole, User
from ringnity.api.schema_docs import REQUEST_EXAMPLES
from ringnity.testing.servers import free_port

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.django_db
def test_demo_seed_puts_the_demo_on_a_plan_that_fits_what_it_seeds(settings):
    settings.DEBUG = True
    first = demo_seed()
    second = demo_seed()
    tenant = first.tenant
    assert first.secret is not None
    assert first.secret.startswith("rn_sk_test_")
    assert second.secret is None
    assert second.key == first.key
    assert tenant.subscription.plan.slug == "professional"
    entitlements = for_tenant(tenant)
    entitlements.require_feature("server_api")
    agents = User.objects.filter(tenant=tenant, role=StaffRole.AGENT).count()
    assert agents == 2
    entitlements.require_quota("agents", requested_total=agents + 1)  # the owner counts too at most
    entitlements.require_quota("allowed_domains", requested_total=AllowedDomain.objects.for_tenant(tenant).count())
    assert sorted(AllowedDomain.objects.for_tenant(tenant).values_list("domain", flat=True)) == [
        "127.0.0.1",
        "localhost",
    ]
    key = ServerApiKey.objects.for_tenant(tenant).get()
    assert sorted(key.scopes) == sorted(SERVER_API_SCOPES)
    operator = User.objects.get(tenant__isnull=True, email=DEMO_OPERATOR_EMAIL)
    assert operator.is_staff
    assert operator.check_password(DEMO_PASSWORD)


@pytest.mark.django_db
def test_a_new_key_disables_the_old_one(settings):
    settings.DEBUG = True
    old = demo_seed()
    new = demo_seed(new_key=True)
    assert new.secret is not None
    assert new.key != old.key
    old.key.refresh_from_db()
    assert not old.key.is_active


def _start(env: dict, port: int) -> tuple[subprocess.Popen, str]:
    """Starts ``rundemo`` and returns it with its output up to the banner's curl line."""
    server = subprocess.Popen(
        [sys.executable, "manage.py", "rundemo", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    output = b""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not re.search(rb"\n  curl [^\n]*\n", output):
        if select.select([server.stdout], [], [], 1)[0]:
            chunk = os.read(server.stdout.fileno(), 65536)
            if not chunk:
                break
            output += chunk
    return server, output.decode()


def _migrated_env(tmp_path) -> dict:
    """The embedded default (SQLite under ``tmp_path``) as ``make run`` sees it, migrated."""
    unset = {"DATABASE_URL", "REDIS_URL", "VERBOSE", "RINGNITY_PUBLIC_URL", "RINGNITY_DASHBOARD_URL"}
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update({"DEBUG": "true", "DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "ringnity.settings"})
    env["PYTHONUNBUFFERED"] = "1"
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=300)
    return env


def _realtime_gateway_answers(port: int) -> None:
    """The same port serves the realtime gateway: a widget's chat session token opens a socket."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/chat/visitor/sessions",
        data=b"{}",
        headers={"Content-Type": "application/json", "X-Ringnity-Tenant": DEMO_SLUG},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
        token = json.loads(response.read())["data"]["sessionToken"]
    with connect(f"ws://127.0.0.1:{port}/realtime/v1", open_timeout=10) as websocket:
        websocket.send(json.dumps({"type": "auth", "token": token}))
        assert json.loads(websocket.recv(timeout=10))["type"] == "ready"


def _demo_page_embeds_the_widget(port: int) -> None:
    """``/demo/``: the widget on a sample page, its script and stylesheet served by the same server."""
    base = f"http://127.0.0.1:{port}"
    with urllib.request.urlopen(f"{base}/demo/", timeout=30) as response:  # noqa: S310 - loopback
        html = response.read().decode()
    assert f'<script src="{base}/widget/v1.js" data-client-id="cl_' in html
    for path in ("/widget/v1.js", "/static/platform/demo.css"):
        with urllib.request.urlopen(base + path, timeout=30) as response:  # noqa: S310 - loopback
            assert response.status == 200


def test_make_run_output_is_the_banner_and_its_curl_creates_a_contact(tmp_path):
    env = _migrated_env(tmp_path)
    port = free_port()
    server, output = _start(env, port)
    try:
        assert "Performing system checks" not in output
        assert output.count("Watching for file changes") <= 1
        assert f"Ringnity demo is running at http://127.0.0.1:{port}/" in output
        needles = ("/demo/", "/inbox/?workspace=", "/api/docs/", "/api/schema/", "/admin/", DEMO_OPERATOR_EMAIL)
        for needle in (*needles, "rn_sk_test_"):
            assert needle in output
        assert len(output.strip().splitlines()) <= 16, output
        curl = next(line.strip() for line in output.splitlines() if line.strip().startswith("curl "))
        result = subprocess.run(shlex.split(curl), capture_output=True, text=True, timeout=30, check=True)
        assert '"success":true' in result.stdout.replace(" ", "")
        assert '"created":true' in result.stdout.replace(" ", "")
        _realtime_gateway_answers(port)
        _demo_page_embeds_the_widget(port)
    finally:
        server.terminate()
        server.wait(timeout=10)

    server, output = _start(env, port)
    try:
        assert "rn_sk_test_…" in output
        assert not re.search(r"rn_sk_test_[A-Za-z0-9_-]{20,}", output)  # a stored secret is never shown again
        curl = next(line.strip() for line in output.splitlines() if line.strip().startswith("curl "))
        result = subprocess.run(shlex.split(curl), capture_output=True, text=True, timeout=30, check=True)
        assert '"success":true' in result.stdout.replace(" ", "")
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_public_url_is_the_address_served_unless_the_environment_sets_it(tmp_path):
    """``make run PORT=...``: the OIDC issuer, every discovery URL and call links name that port."""
    env = _migrated_env(tmp_path)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server, _ = _start(env, port)
    try:
        discovery = requests.get(f"{base}/.well-known/openid-configuration", timeout=30).json()
        assert discovery["issuer"] == base
        urls = [value for key, value in discovery.items() if key.endswith(("_endpoint", "_uri"))]
        assert urls
        assert all(url.startswith(f"{base}/") for url in urls), urls
        started = requests.post(
            f"{base}/api/chat/visitor/conversations", json={}, headers={"X-Ringnity-Tenant": DEMO_SLUG}, timeout=30
        ).json()["data"]
        link = requests.post(
            f"{base}/api/chat/visitor/conversations/{started['conversation']['conversationId']}/call-links",
            json={},
            headers={"X-Ringnity-Chat-Session": started["sessionToken"]},
            timeout=30,
        ).json()["data"]["callLink"]
        assert link["url"] == f"{base}/call/join/{link['token']}"
        page = requests.get(link["url"], timeout=30)
        assert page.status_code == 200
        assert 'data-state="valid"' in page.text
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.parametrize(
    ("addr", "expected"),
    [("127.0.0.1", "http://127.0.0.1:8300"), ("0.0.0.0", "http://127.0.0.1:8300"), ("::", "http://[::1]:8300")],  # noqa: S104
)
def test_the_served_base_url_is_an_address_a_browser_can_open(addr, expected):
    assert served_base_url("http", addr, 8300) == expected


@pytest.mark.django_db
@pytest.mark.parametrize("operation_id", ["upsertContact", "createServerApiCredential"])
def test_docs_request_examples_are_accepted_as_they_stand(api_client, settings, operation_id):
    """ "Try it out" starts from the example body; with the printed key it must succeed unedited."""
    settings.DEBUG = True
    seed = demo_seed()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    path, method, operation = next(
        (path, method, op)
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if isinstance(op, dict) and op.get("operationId") == operation_id
    )
    body = operation["requestBody"]["content"]["application/json"]["example"]
    if operation_id == "upsertContact":
        headers = {"HTTP_AUTHORIZATION": f"Bearer {seed.secret}"}
    else:
        login = api_client.post("/api/auth/owner-login", REQUEST_EXAMPLES["loginOwner"], format="json")
        headers = {"HTTP_AUTHORIZATION": f"Bearer {login.json()['data']['accessToken']}"}
    response = getattr(api_client, method)(path, body, format="json", **headers)
    assert response.status_code in {200, 201}, response.content
