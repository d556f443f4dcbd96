"""Prometheus metrics: by route (the URL pattern), not public, summed across processes."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest, multiprocess
from prometheus_client.parser import text_string_to_metric_families

from apps.developer.tests.factories import ServerApiKeyFactory, server_key_headers
from apps.plans.tests.factories import subscribe
from apps.tenants.tests.factories import TenantFactory
from ringnity.ops.metrics import process_exited
from ringnity.testing.ci import missing

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "ops-metrics-token-0123456789"


def _samples(text: str) -> dict:
    """``{(sample name, frozenset(labels)): value}`` of a scrape."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _scrape(client) -> dict:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return _samples(response.content.decode())


@pytest.fixture
def ops_token(settings):
    settings.OPS_TOKEN = TOKEN


def test_metrics_are_not_public(client, ops_token):
    response = client.get("/metrics")
    assert response.status_code == 401
    assert response.json()["code"] == "AUTH_REQUIRED"
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer guess").json()["code"] == "AUTH_TOKEN_INVALID"


@pytest.mark.django_db
def test_requests_are_counted_timed_and_query_counted_by_url_pattern(client, ops_token):
    tenant = TenantFactory()
    subscribe(tenant, features={"server_api": True})
    key = ServerApiKeyFactory(tenant=tenant, scopes=["server:contacts:read"])
    route = "api/server/contacts/<str:id>"
    labels = frozenset({"method": "GET", "route": route, "status": "404"}.items())
    before = _scrape(client).get(("ringnity_http_requests_total", labels), 0)
    for contact_id in ("con_missing1", "con_missing2"):
        assert client.get(f"/api/server/contacts/{contact_id}", **server_key_headers(key)).status_code == 404
    client.get("/no/such/page")
    after = _scrape(client)
    assert after[("ringnity_http_requests_total", labels)] == before + 2  # one series for both raw paths
    timing = frozenset({"method": "GET", "route": route}.items())
    assert after[("ringnity_http_request_duration_seconds_count", timing)] >= 2
    assert after[("ringnity_http_request_db_queries_count", timing)] >= 2
    assert after[("ringnity_http_request_db_queries_sum", timing)] >= 2  # each looked the contact up
    unmatched = frozenset({"method": "GET", "route": "<unmatched>", "status": "404"}.items())
    assert after[("ringnity_http_requests_total", unmatched)] >= 1
    assert not any("missing1" in str(labels) for _, labels in after)


@pytest.fixture
def broker(settings):
    """The real Redis broker (fails under CI without one; skips on the embedded default)."""
    if not settings.REDIS_URL:
        missing("no REDIS_URL: tasks run in-process, there is no queue to measure")
    settings.CELERY_TASK_ALWAYS_EAGER = False


def test_queue_depth_is_read_from_the_broker(client, ops_token, settings, broker):
    queue = f"ops-test-{uuid.uuid4().hex[:8]}"
    settings.CELERY_TASK_ROUTES = {**settings.CELERY_TASK_ROUTES, "ops-test.*": {"queue": queue}}
    from ringnity.celery import app, ping

    try:
        for _ in range(3):
            ping.apply_async(args=["depth"], queue=queue)
        depth = _scrape(client)[("ringnity_celery_queue_depth", frozenset({"queue": queue}.items()))]
    finally:
        with app.connection_for_write() as connection:
            connection.default_channel.queue_delete(queue)
    assert depth == 3
    assert ("ringnity_celery_queue_depth", frozenset({"queue": "webhooks"}.items())) in _scrape(client)


def test_processes_write_and_one_scrape_sums_them(tmp_path):
    """gunicorn workers, Celery workers and the realtime gateway share PROMETHEUS_MULTIPROC_DIR."""
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "ringnity.settings",
        "DEBUG": "true",
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "DATA_DIR": str(tmp_path / "data"),
    }
    writer = (
        "import django; django.setup(); from ringnity.ops import metrics;"
        "metrics.webhook_attempt('delivered'); metrics.webhook_attempt('retrying')"
    )
    for _ in range(2):
        subprocess.run([sys.executable, "-c", writer], cwd=ROOT, env=env, check=True, timeout=120)
    reader = "import django; django.setup(); from ringnity.ops.metrics import exposition; print(exposition().decode())"
    text = subprocess.run(
        [sys.executable, "-c", reader], cwd=ROOT, env=env, check=True, timeout=120, capture_output=True, text=True
    ).stdout
    samples = _samples(text)
    assert samples[("ringnity_webhook_attempts_total", frozenset({"outcome": "delivered"}.items()))] == 2
    assert samples[("ringnity_webhook_attempts_total", frozenset({"outcome": "retrying"}.items()))] == 2


def test_a_live_gateway_process_reports_its_open_connections(tmp_path, monkeypatch):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    gateway = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from ringnity.ops import metrics;"
            "[metrics.realtime_connection_opened() for _ in range(3)]; metrics.realtime_connection_closed();"
            "print('ready', flush=True); sys.stdin.read()",
        ],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert gateway.stdout.readline().strip() == "ready"
        live = _multiprocess_samples(tmp_path)
    finally:
        gateway.stdin.close()
        gateway.wait(timeout=30)
    assert live[("ringnity_realtime_connections", frozenset())] == 2
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    process_exited(gateway.pid)  # what the supervisor does when a process ends (gunicorn: child_exit)
    assert _multiprocess_samples(tmp_path).get(("ringnity_realtime_connections", frozenset()), 0) == 0


def _multiprocess_samples(path) -> dict:
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(path))
    return _samples(generate_latest(registry).decode())
