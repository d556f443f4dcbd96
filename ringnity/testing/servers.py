"""Helpers for tests that start a real server process on loopback (a gateway, a Celery worker...)."""

import socket
import subprocess
from urllib.parse import quote

import redis
from django.conf import settings
from django.db import connection

from ringnity.testing.ci import missing


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (for a server the test starts)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require_database_and_redis(process: str, redis_use: str) -> None:
    """The ``process`` the test starts reads the test database (PostgreSQL) and uses Redis (``redis_use``):
    without them the test skips, and fails under CI=true."""
    problems = []
    if connection.vendor != "postgresql":
        problems.append(f"the {process} must share the test database: needs PostgreSQL, not {connection.vendor}")
    try:
        redis.Redis.from_url(settings.REDIS_URL or "redis://", socket_connect_timeout=2).ping()
    except (redis.RedisError, ValueError) as exc:
        problems.append(f"needs Redis for {redis_use} (REDIS_URL): {exc}")
    if problems:
        missing("; ".join(problems))


def shared_database_url() -> str:
    """``DATABASE_URL`` of the test database, for a process the test starts."""
    db = settings.DATABASES["default"]
    auth = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def stop_process(process: subprocess.Popen) -> None:
    """SIGTERM, 20 s to finish, then SIGKILL."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
