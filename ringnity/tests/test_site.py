"""Docs, console and settings behaviour a deployer relies on."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_schema_endpoint_serves_the_generated_openapi_document(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert b"getRuntimeHealth" in response.content


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_load_their_assets_from_this_server_only(client, url):
    response = client.get(url)
    assert response.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', response.content.decode())
    assert sources
    assert all(src.startswith("/") for src in sources), sources


def test_admin_login_is_the_platform_console(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert b"Ringnity Platform Console" in response.content


def _settings_probe(env: dict) -> subprocess.CompletedProcess:
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'], s.CELERY_TASK_ALWAYS_EAGER)"
    )
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**clean, "DJANGO_SETTINGS_MODULE": "ringnity.settings", **env},
    )


def test_embedded_default_needs_only_debug(tmp_path):
    """DEBUG=true (what `make run` / `make test` export) and nothing else: SQLite, local memory, eager Celery."""
    result = _settings_probe({"DATA_DIR": str(tmp_path), "DEBUG": "true"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "django.core.cache.backends.locmem.LocMemCache",
        "True",
    ]


def test_database_and_redis_urls_switch_to_postgresql_and_redis(tmp_path):
    result = _settings_probe(
        {
            "DATA_DIR": str(tmp_path),
            "DEBUG": "true",
            "DATABASE_URL": "postgres://u@127.0.0.1:5432/x",
            "REDIS_URL": "redis://127.0.0.1:6379/9",
        }
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.postgresql", "django_redis.cache.RedisCache", "False"]


def test_secret_key_is_required_when_debug_is_off(tmp_path):
    result = _settings_probe({"DATA_DIR": str(tmp_path), "DEBUG": "false"})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
