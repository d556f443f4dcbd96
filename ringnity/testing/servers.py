"""Helpers for tests that start a real server process on loopback (a gateway, a Celery worker...)."""

import socket
import subprocess
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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


@contextmanager
def loopback_page(body: bytes, content_type: str = "text/html"):
    """A thread serving ``body`` to every GET on a free 127.0.0.1 port (a customer's page, a key set);
    yields the port."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
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
