"""Fixtures: Celery tasks run eagerly; real HTTP servers on loopback stand in for web pages and the AI provider."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ringnity.celery import app as celery_app


@pytest.fixture(autouse=True)
def _eager_celery():
    """Tasks run in-process (with the test's database connection) whatever the broker setting is.

    The app reads Django settings under the ``CELERY_`` namespace, so the override must use the
    prefixed key: ``conf.task_always_eager = True`` would be shadowed by ``CELERY_TASK_ALWAYS_EAGER``.
    """
    keys = ("CELERY_TASK_ALWAYS_EAGER", "CELERY_TASK_EAGER_PROPAGATES")
    previous = {key: celery_app.conf.get(key) for key in keys}
    for key in keys:
        celery_app.conf[key] = True
    assert celery_app.conf.task_always_eager
    yield
    for key, value in previous.items():
        celery_app.conf[key] = value


class _Server:
    """A loopback HTTP server answering from ``routes``: path -> (status, headers, body bytes)."""

    def __init__(self):
        self.routes: dict[str, tuple[int, dict, bytes]] = {}
        self.requests: list[dict] = []
        self.default = (404, {"Content-Type": "text/plain"}, b"not found")
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                outer.requests.append(
                    {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
                )
                route = outer.routes.get(self.path.split("?")[0], outer.default)
                status, headers, payload = route(body) if callable(route) else route
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = _answer
            do_POST = _answer

            def log_message(self, *args):
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def web_server(settings):
    """A loopback web server; loopback fetching is allowed for this test only (AI_INGEST_ALLOW_LOOPBACK)."""
    settings.AI_INGEST_ALLOW_LOOPBACK = True
    server = _Server()
    yield server
    server.close()


def chat_completion(text: str, prompt_tokens: int, completion_tokens: int, cached: int = 0) -> bytes:
    return json.dumps(
        {
            "id": "chatcmpl-test",
            "model": "gpt-test-mini",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "prompt_tokens_details": {"cached_tokens": cached},
            },
        }
    ).encode()


@pytest.fixture
def fake_provider(settings):
    """A small OpenAI-compatible server on loopback, configured as the AI provider."""
    server = _Server()
    settings.AI_PROVIDER_BASE_URL = server.url("/v1")
    settings.AI_PROVIDER_API_KEY = "sk-test-fake"
    settings.AI_PROVIDER_TIMEOUT_SECONDS = 5
    yield server
    server.close()
