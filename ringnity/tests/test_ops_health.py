"""``/api/health/live`` (public) and ``/api/health/ready`` (OPS_TOKEN): real dependencies, real failures.

Failures are produced for real: a subprocess with settings naming a closed port, or a database
that was never migrated, runs the same checks the view runs.
"""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from ringnity.testing.contract import generated_document

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "ops-test-token-0123456789"


@pytest.fixture
def ops_token(settings):
    settings.OPS_TOKEN = TOKEN
    return {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the block ends: nothing listens there


@pytest.mark.django_db
def test_liveness_is_public_and_touches_nothing(api_client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = api_client.get("/api/health/live")
    assert response.status_code == 200
    assert generated_document().validate_response(response, "getHealthLive") == {
        "success": True,
        "data": {"status": "ok"},
    }


@pytest.mark.django_db
def test_readiness_answers_ok_for_every_check_with_the_token(api_client, ops_token):
    response = api_client.get("/api/health/ready", **ops_token)
    assert response.status_code == 200, response.content
    body = generated_document().validate_response(response, "getHealthReady")
    assert body["data"] == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "redis": "ok", "broker": "ok"},
    }


def test_readiness_is_not_public(api_client, settings):
    settings.OPS_TOKEN = TOKEN
    missing = api_client.get("/api/health/ready")
    assert missing.status_code == 401
    assert missing.json()["code"] == "AUTH_REQUIRED"
    assert missing["WWW-Authenticate"] == 'Bearer realm="operations"'
    wrong = api_client.get("/api/health/ready", HTTP_AUTHORIZATION="Bearer not-the-token")
    assert wrong.status_code == 401
    assert wrong.json()["code"] == "AUTH_TOKEN_INVALID"
    generated_document().validate_response(wrong, "getHealthReady")


def test_without_an_ops_token_configured_nobody_reads_readiness(api_client, settings):
    settings.OPS_TOKEN = ""
    assert api_client.get("/api/health/ready", HTTP_AUTHORIZATION="Bearer ").status_code == 401
    assert api_client.get("/api/health/ready", HTTP_AUTHORIZATION="Bearer anything").status_code == 401


@pytest.mark.django_db
def test_unreachable_redis_and_broker_are_a_503_naming_both(api_client, ops_token, settings):
    port = _closed_port()
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }
    settings.CELERY_TASK_ALWAYS_EAGER = False
    from ringnity.celery import app

    previous = app.conf.broker_url, app.conf.broker_write_url
    app.conf.broker_url = app.conf.broker_write_url = f"redis://127.0.0.1:{port}/0"
    try:
        response = api_client.get("/api/health/ready", **ops_token)
    finally:
        app.conf.broker_url, app.conf.broker_write_url = previous
    assert response.status_code == 503, response.content
    body = generated_document().validate_response(response, "getHealthReady")
    assert body["code"] == "SERVICE_UNAVAILABLE"
    assert body["message"] == "Not ready: `details` names each failing check."
    assert [detail.split(":")[0] for detail in body["details"]] == ["redis", "broker"]


def _readiness_in_a_process(database_url: str, tmp_path) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ringnity.settings",
        "DEBUG": "true",
        "DATABASE_URL": database_url,
        "DATA_DIR": str(tmp_path),
    }
    script = (
        "import django, json; django.setup(); from ringnity.ops.health import readiness;"
        "results, failures = readiness(); print(json.dumps({'results': results, 'failures': failures}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_an_unreachable_database_fails_database_and_migrations(tmp_path):
    answer = _readiness_in_a_process(f"postgres://postgres@127.0.0.1:{_closed_port()}/nowhere", tmp_path)
    assert answer["results"]["database"] == "failed"
    assert answer["results"]["migrations"] == "failed"
    assert answer["failures"][0].startswith("database: OperationalError")
    assert answer["failures"][1] == "migrations: not checked, the database is unreachable"


def test_a_database_without_migrations_is_not_ready_and_says_to_migrate(tmp_path):
    answer = _readiness_in_a_process(f"sqlite:///{tmp_path / 'empty.sqlite3'}", tmp_path)
    assert answer["results"]["database"] == "ok"
    assert answer["results"]["migrations"] == "failed"
    [failure] = [f for f in answer["failures"] if f.startswith("migrations:")]
    assert "not applied" in failure
    assert failure.endswith("run migrate")
