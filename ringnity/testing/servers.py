"""Helpers for tests that start a real server process on loopback (a gateway, a Celery worker...)."""

import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import redis
from django.conf import settings
from django.db import connection

from ringnity.testing.ci import missing

ROOT = Path(__file__).resolve().parents[2]


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


def wait_for_port(process: subprocess.Popen, port: int, *, what: str, timeout: float = 60) -> None:
    """Returns once ``process`` accepts connections on ``port``; fails with its output if it exits first."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise AssertionError(f"the {what} did not start:\n{process.stdout.read() if process.stdout else ''}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def server_env(**overrides) -> dict:
    """The environment of a server process on the test database and this run's Redis key prefix."""
    return {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": shared_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CACHE_KEY_PREFIX": settings.CACHE_KEY_PREFIX,
        "DJANGO_SETTINGS_MODULE": "ringnity.settings",
        **{key: str(value) for key, value in overrides.items()},
    }


@contextmanager
def web_process(**env_overrides):
    """gunicorn serving the REST API (``ringnity.wsgi``) on a free loopback port; yields its base URL."""
    require_database_and_redis("web process", "the cache")
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "ringnity.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", "1", "--log-level", "warning"]
    env = server_env(**env_overrides)
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # noqa: S603
    try:
        wait_for_port(process, port, what="web process")
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(process)


@contextmanager
def loopback_page(body: bytes, content_type: str = "text/html", headers: dict | None = None):
    """A thread serving ``body`` (with ``headers``: a page's policy, say) to every GET on a free 127.0.0.1
    port (a customer's page, a key set); yields the port."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        server.server_close()
