"""gunicorn's own limits (issue 22 F11): an over-long request line under /api reached gunicorn's HTML
400 at 4 KB. The production config (``ringnity.ops.gunicorn_conf``) raises the request-line and
header limits to gunicorn's maximum, so every request a proxy with nginx's default limits passes on
reaches Django and gets the JSON envelope; only beyond them does gunicorn itself refuse (README,
Production: the proxy refuses first)."""

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from ringnity.testing.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 8190  # gunicorn's largest limit_request_line / limit_request_field_size


def _exchange(port: int, request: bytes) -> bytes:
    """The raw answer; what arrived before the server reset the connection (it may stop reading early)."""
    chunks = []
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        try:
            sock.sendall(request)
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except ConnectionResetError:
            pass
    return b"".join(chunks)


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory):
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "WEB_CONCURRENCY": "1",
        "WEB_THREADS": "1",
        "DEBUG": "true",
        "DATA_DIR": str(tmp_path_factory.mktemp("gunicorn")),
        "DJANGO_SETTINGS_MODULE": "ringnity.settings",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "ringnity.wsgi:application",
            "--config",
            "python:ringnity.ops.gunicorn_conf",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    threading.Thread(target=lambda: output.extend(server.stdout), daemon=True).start()
    try:
        for _ in range(600):  # until it listens (bounded)
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                connection.request("GET", "/api/health/live")
                if connection.getresponse().status == 200:
                    break
            except (ConnectionError, OSError):
                if server.poll() is not None:
                    pytest.fail("gunicorn did not start:\n" + "".join(output))
                threading.Event().wait(0.1)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=60)


def _get(path: str, headers: str = "") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{headers}\r\n".encode()


def test_a_long_request_line_under_api_gets_the_json_envelope_not_gunicorns_page(gunicorn):
    path = "/api/" + "x" * 6000
    answer = _exchange(gunicorn, _get(path))
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 404"), answer[:300]
    assert b"application/json" in head
    assert json.loads(body)["code"] == "NOT_FOUND"


def test_long_headers_within_nginxs_default_buffers_reach_the_application(gunicorn):
    headers = f"X-Request-Note: {'n' * 6000}\r\n" + "".join(f"X-Extra-{i}: {i}\r\n" for i in range(60))
    answer = _exchange(gunicorn, _get("/api/nope", headers))
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 404"), answer[:300]
    assert json.loads(body)["code"] == "NOT_FOUND"


def test_beyond_the_limits_gunicorn_refuses_itself(gunicorn):
    """Never seen behind a proxy that keeps nginx's default 8 KB buffers: it refuses first."""
    answer = _exchange(gunicorn, _get("/api/" + "x" * (LIMIT + 10)))
    assert answer == b"" or answer.startswith(b"HTTP/1.1 400"), answer[:300]
