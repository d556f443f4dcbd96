"""A real Celery worker process on the ``webhooks`` queue for the tests that need one (mark them ``worker``).

It reads the test database, so it needs PostgreSQL, and the Redis broker: without them the test
skips locally and fails under CI=true.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import redis
from django.conf import settings

from ringnity.testing.servers import require_database_and_redis, shared_database_url

ROOT = Path(__file__).resolve().parents[3]


def start_worker(*, pool: str = "solo", concurrency: int = 1, timeout_seconds: int = 1) -> subprocess.Popen:
    """The worker, in a process group of its own (so a test can signal the group as systemd does)."""
    require_database_and_redis("worker process", "the broker")
    redis.Redis.from_url(settings.REDIS_URL).delete("webhooks", "unacked", "unacked_index")  # earlier runs' messages
    env = {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": shared_database_url(),
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
