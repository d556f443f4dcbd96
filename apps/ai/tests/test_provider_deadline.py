"""The AI provider's call has one deadline, ``AI_PROVIDER_TIMEOUT_SECONDS``, for the whole exchange.

Retries and their backoff included, whatever the provider does: real misbehaving servers on
loopback (``ringnity.testing.slow_peers``) drip the answer, never answer, or drip the headers.
"""

import json
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

import pytest

from apps.ai.providers import Limits, ProviderError
from apps.ai.providers.openai_compatible import OpenAICompatibleProvider
from ringnity.testing.slow_peers import SlowPeer, elapsed

SLACK = 3.0
LIMITS = Limits(max_input_tokens=1000, max_output_tokens=100, max_retries=3, chat_model="m")


def _provider(url: str, timeout: float = 1) -> OpenAICompatibleProvider:
    return OpenAICompatibleProvider(base_url=url, api_key="sk-test", timeout=timeout, backoff_seconds=0.1)


@pytest.mark.parametrize("mode", ["drip_body", "silent", "drip_headers"])
def test_a_reply_ends_at_the_deadline_whatever_the_provider_does(mode):
    with SlowPeer(mode, interval=0.25, drip_bytes=40, content_type="application/json") as peer:
        started = time.monotonic()
        with pytest.raises(ProviderError, match=r"did not answer within 1 s"):
            _provider(peer.url("/v1")).reply([{"role": "user", "content": "hi"}], [], LIMITS)
        assert elapsed(started) < 1 + SLACK
        assert peer.connections == 1  # the deadline is the whole call's: no retry after it


class _Provider:
    """An OpenAI-compatible server on loopback answering every POST with ``status`` after ``delay``."""

    def __init__(self, status=200, delay=0.0, lines=()):
        self.requests = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.requests += 1
                time.sleep(delay)
                body = b"".join(line + b"\n" for line in lines) or b"{}"
                self.send_response(status)
                self.send_header("Content-Type", "text/event-stream" if lines else "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_retries_stop_at_the_deadline():
    with _Provider(status=503, delay=0.4) as provider:
        started = time.monotonic()
        with pytest.raises(ProviderError):
            _provider(provider.url()).reply([{"role": "user", "content": "hi"}], [], LIMITS)
        assert elapsed(started) < 1 + SLACK
        assert 1 <= provider.requests <= 3  # not 1 + max_retries (4) at 0.4 s each


def test_a_streamed_answer_is_read_line_by_line():
    events = [b'data: {"choices":[{"delta":{"content":"Hel"}}]}', b"", b"data: [DONE]"]
    with _Provider(lines=events) as provider:
        streamed = _provider(provider.url(), timeout=5).stream("/chat/completions", {"stream": True})
        with streamed as lines:
            received = list(lines)
    assert received == events
    assert json.loads(received[0].removeprefix(b"data: "))["choices"][0]["delta"]["content"] == "Hel"


def test_a_dripping_stream_ends_at_the_deadline():
    with SlowPeer("drip_body", interval=0.25, drip_bytes=40, content_type="text/event-stream") as peer:
        started = time.monotonic()
        streamed = _provider(peer.url("/v1")).stream("/chat/completions", {"stream": True})
        with pytest.raises(ProviderError, match="did not answer within 1 s"), streamed as lines:
            for _ in lines:
                pass
        assert elapsed(started) < 1 + SLACK
