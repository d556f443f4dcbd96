"""Peers on loopback that stretch an exchange, for the deadline tests of every outbound caller.

``with SlowPeer("drip_body") as peer: ... peer.url("/hook")``. The peer reads the request, then:

* ``drip_body``: ``200`` with headers but no ``Content-Length``, then one body byte every
  ``interval`` seconds, ``drip_bytes`` of them, and then closes (a client without a deadline for
  the whole exchange gets a 200 after ``interval * drip_bytes`` seconds);
* ``silent``: accepts the connection, reads the request and never answers (until the peer stops);
* ``drip_headers``: the status line and headers one byte every ``interval`` seconds.

``connections`` counts accepted connections; ``requests`` keeps the first bytes of each request.
"""

from __future__ import annotations

import socket
import threading
import time

MODES = ("drip_body", "silent", "drip_headers")


class SlowPeer:
    def __init__(self, mode: str, *, interval: float = 0.5, drip_bytes: int = 40, content_type: str = "text/html"):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.mode, self.interval, self.drip_bytes, self.content_type = mode, interval, drip_bytes, content_type
        self.requests: list[bytes] = []
        self._stop = threading.Event()
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.2)
        self._threads: list[threading.Thread] = []

    @property
    def port(self) -> int:
        return self._server.getsockname()[1]

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def connections(self) -> int:
        return len(self.requests)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _drip(self, conn: socket.socket, data: bytes) -> None:
        for index in range(len(data)):
            if self._stop.wait(self.interval):
                return
            conn.sendall(data[index : index + 1])

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                self.requests.append(conn.recv(65536))
                head = f"HTTP/1.1 200 OK\r\nContent-Type: {self.content_type}\r\n\r\n".encode()
                if self.mode == "silent":
                    self._stop.wait()
                elif self.mode == "drip_headers":
                    self._drip(conn, head + b"x" * self.drip_bytes)
                else:
                    conn.sendall(head.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
                    self._drip(conn, b"x" * self.drip_bytes)
            except OSError:
                return  # the client gave up: what the tests want

    def __enter__(self) -> SlowPeer:
        self._acceptor = threading.Thread(target=self._accept, daemon=True)
        self._acceptor.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._acceptor.join(timeout=5)
        self._server.close()
        for thread in self._threads:
            thread.join(timeout=5)


def elapsed(since: float) -> float:
    """Seconds since ``since`` (``time.monotonic()``), for generous upper bounds in deadline tests."""
    return time.monotonic() - since
