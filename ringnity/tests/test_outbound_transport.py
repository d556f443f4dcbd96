"""The outbound transport: one deadline for the whole exchange, pinned addresses, keep-alive reuse.

Real peers on loopback: misbehaving ones (``ringnity.testing.slow_peers``) and a plain HTTP/1.1 server.
"""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ringnity.outbound import (
    OPERATOR_CONFIGURED,
    Deadline,
    DeadlineExceeded,
    Policy,
    Pool,
    Refused,
    exchange,
    request,
)
from ringnity.outbound import addresses as addresses_module
from ringnity.testing.slow_peers import SlowPeer, elapsed

LOOPBACK = Policy(schemes=frozenset({"http", "https"}), loopback_ok=True)
SLACK = 3.0  # generous: the machine is shared; the point is "seconds, not minutes"


def _post(url, *, seconds=5.0, policy=LOOPBACK, max_body_bytes=100, pool=None):
    return request(
        "POST",
        url,
        headers={},
        body=b"{}",
        deadline=Deadline(seconds),
        policy=policy,
        max_body_bytes=max_body_bytes,
        pool=pool,
    )


@pytest.mark.parametrize("mode", ["drip_body", "silent", "drip_headers"])
def test_the_whole_exchange_ends_at_the_deadline_whatever_the_peer_does(mode):
    # Each byte arrives well within any per-read timeout; only a deadline for the whole exchange ends it.
    with SlowPeer(mode, interval=0.2) as peer:
        started = time.monotonic()
        with pytest.raises(DeadlineExceeded, match="timed out after 1 s"):
            _post(peer.url("/hook"), seconds=1, max_body_bytes=8192)
        assert elapsed(started) < 1 + SLACK
        assert peer.connections == 1


def test_a_streamed_body_is_read_line_by_line_under_the_same_deadline():
    with SlowPeer("drip_body", interval=0.2) as peer:
        started = time.monotonic()
        streamed = exchange("GET", peer.url("/stream"), headers={}, deadline=Deadline(1), policy=LOOPBACK)
        with pytest.raises(DeadlineExceeded), streamed as answer:  # noqa: PT012 (either step may hit the deadline)
            assert answer.status == 200
            for _ in answer.lines():
                pass
        assert elapsed(started) < 1 + SLACK


class _Server:
    """A keep-alive HTTP/1.1 server on loopback counting the TCP connections it accepted."""

    def __init__(self, lines: list[bytes] | None = None, *, close_after_answer: bool = False):
        self.connections = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                outer.connections += 1
                super().setup()

            def _answer(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = b"".join(line + b"\n" for line in lines) if lines else b'{"ok":true}'
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = close_after_answer  # closes without saying so (no Connection: close)

            do_GET = do_POST = _answer

            def log_message(self, *args):
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path="/"):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    served = _Server()
    yield served
    served.close()


def test_lines_of_a_complete_body_are_yielded_without_line_ends():
    served = _Server(lines=[b'data: {"a":1}', b"", b"data: [DONE]"])
    try:
        with exchange("GET", served.url(), headers={}, deadline=Deadline(5), policy=LOOPBACK) as answer:
            assert list(answer.lines()) == [b'data: {"a":1}', b"", b"data: [DONE]"]
    finally:
        served.close()


def test_a_pool_reuses_one_keep_alive_connection_per_address(server):
    pool = Pool()
    answers = [_post(server.url("/a"), pool=pool) for _ in range(5)]
    assert [(a.status, a.body, a.reused) for a in answers] == [(200, b'{"ok":true}', i > 0) for i in range(5)]
    assert server.connections == 1
    pool.clear()


def test_without_a_pool_every_exchange_closes_its_connection(server):
    for _ in range(3):
        answer = _post(server.url())
        assert (answer.status, answer.reused) == (200, False)
    assert server.connections == 3


def test_a_reused_connection_gets_the_new_exchanges_deadline():
    with SlowPeer("silent") as peer:
        pool = Pool()
        started = time.monotonic()
        with pytest.raises(DeadlineExceeded):
            _post(peer.url(), seconds=0.5, pool=pool)
        assert elapsed(started) < 0.5 + SLACK


def test_an_idle_connection_the_peer_closed_is_not_reused():
    served = _Server(close_after_answer=True)
    pool = Pool()
    try:
        for _ in range(3):
            answer = _post(served.url(), pool=pool)
            assert (answer.status, answer.reused) == (200, False)
            time.sleep(0.2)  # the peer's close reaches us
    finally:
        served.close()
    assert served.connections == 3


def test_the_connection_goes_to_the_checked_address_not_a_second_lookup(server, monkeypatch):
    """DNS rebinding: the first answer is checked and connected to; a later answer is never asked for."""
    answers = iter([[(0, 0, 0, "", ("127.0.0.1", 0))], [(0, 0, 0, "", ("10.0.0.1", 0))]])
    monkeypatch.setattr(addresses_module.socket, "getaddrinfo", lambda *a, **k: next(answers))
    port = server.httpd.server_address[1]
    answer = _post(f"http://rebind.example.test:{port}/")
    assert answer.status == 200


def test_a_resolver_that_hangs_ends_at_the_deadline(monkeypatch):
    def hang(*args, **kwargs):
        time.sleep(3)
        raise OSError("too late")

    monkeypatch.setattr(addresses_module.socket, "getaddrinfo", hang)
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded):
        _post("http://slow-dns.example.test/", seconds=0.5)
    assert elapsed(started) < 2.5


@pytest.mark.parametrize(
    ("url", "policy", "problem"),
    [
        ("http://127.0.0.1:9/", Policy(), "scheme must be https"),
        ("https://127.0.0.1:9/", Policy(), "loopback"),
        ("https://[2002:7f00:1::]/", Policy(), "6to4"),
        ("https://user:pw@example.com/", Policy(), "credentials"),
        ("ftp://example.com/", OPERATOR_CONFIGURED, "scheme must be http or https"),
    ],
)
def test_refused_urls_send_nothing(url, policy, problem):
    with pytest.raises(Refused, match=problem):
        _post(url, seconds=2, policy=policy)


def test_operator_configured_urls_may_reach_any_address(server):
    answer = _post(server.url(), policy=OPERATOR_CONFIGURED)
    assert answer.status == 200


def test_a_body_over_the_cap_is_cut_and_flagged(server):
    answer = _post(server.url(), max_body_bytes=4)
    assert (answer.body, answer.truncated) == (b'{"ok', True)
