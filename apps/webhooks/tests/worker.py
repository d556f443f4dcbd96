"""A real Celery worker process on the ``webhooks`` queue for the tests that need one (mark them ``worker``).

It reads the test database, so it needs PostgreSQL, and the Redis broker: without them the test
skips locally and fails under CI=true.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[3]


def _ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_services() -> None:
    problems = []
    if connection.vendor != "postgresql":
        problems.append(f"the worker process must share the test database: needs PostgreSQL, not {connection.vendor}")
    try:
        redis.Redis.from_url(settings.REDIS_URL or "redis://", socket_connect_timeout=2).ping()
    except (redis.RedisError, ValueError) as exc:
        problems.append(f"needs the Redis broker (REDIS_URL): {exc}")
    if problems:
        if _ci():
            pytest.fail("; ".join(problems))
        pytest.skip("; ".join(problems))


def database_url() -> str:
    db = settings.DATABASES["default"]
    auth = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(*, pool: str = "solo", concurrency: int = 1, timeout_seconds: int = 1) -> subprocess.Popen:
    """The worker, in a process group of its own (so a test can signal the group as systemd does)."""
    require_services()
    redis.Redis.from_url(settings.REDIS_URL).delete("webhooks", "unacked", "unacked_index")  # earlier runs' messages
    env = {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CACHE_KEY_PREFIX": settings.CACHE_KEY_PREFIX,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "WEBHOOKS_ALLOW_LOOPBACK": "true",
        "WEBHOOKS_TIMEOUT_SECONDS": str(timeout_seconds),
        "DJANGO_SETTINGS_MODULE": "ringnity.settings",
    }
    command = [sys.executable, "-m", "celery", "-A", "ringnity", "worker", "-Q", "webhooks", f"--pool={pool}"]
    command += [f"--concurrency={concurrency}", "--loglevel=warning", "--without-gossip", "--without-mingle"]
    command += ["--without-heartbeat"]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )


def stop_worker(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
