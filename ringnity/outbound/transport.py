"""HTTP/1.1 to a checked address, pinned, under one deadline for the whole exchange.

* The host is resolved once (``addresses.resolve``, itself bounded by the deadline); with a
  ``public_only`` policy every answer must be a public address. The connection goes to a checked
  address, never to a second lookup (no DNS rebinding); TLS verifies the certificate against the
  host *name* (SNI + hostname check, the system's trust store).
* Every socket operation first sets its timeout to what is left of the deadline, and raises
  ``DeadlineExceeded`` when nothing is: connect, TLS handshake, send, the status line, each header
  byte and each body byte all end at the deadline whatever the peer does (a peer that never
  answers, answers headers one byte at a time, or drips a body without ``Content-Length``).
* Redirects are never followed here (a caller that follows them checks each target again).
* ``Pool``: keep-alive reuse per (scheme, host, port, checked address); a reused connection gets
  the new exchange's deadline, an idle one the peer has closed (readable) is dropped, idle
  connections older than ``idle_seconds`` are not reused. Without a pool every exchange sends
  ``Connection: close``.
"""

from __future__ import annotations

import http.client
import os
import select
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from ringnity.outbound.addresses import Refused, resolve
from ringnity.outbound.deadline import Deadline, DeadlineExceeded


class TransportError(Exception):
    """The exchange failed on the network or the peer spoke broken HTTP (the message says how)."""


@dataclass(frozen=True)
class Policy:
    """Which URLs an outbound call may reach.

    ``public_only``: tenant-given URLs (webhooks, knowledge pages) must resolve to public addresses
    only; operator-configured ones (``OPERATOR_CONFIGURED``: the AI provider, Google's key set) may
    point wherever the operator chose, a private network included, and get the same deadline.
    """

    schemes: frozenset[str] = frozenset({"https"})
    public_only: bool = True
    loopback_ok: bool = False


OPERATOR_CONFIGURED = Policy(schemes=frozenset({"http", "https"}), public_only=False)


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str

    @property
    def origin(self) -> tuple[str, str, int]:
        return self.scheme, self.host, self.port


def target_of(url: str, policy: Policy) -> Target:
    """The URL's parts; Refused for a scheme the policy does not allow, credentials or no host."""
    try:
        parts = urlsplit(url)
        port = parts.port
        host = (parts.hostname or "").encode("idna").decode("ascii")
    except (ValueError, UnicodeError) as exc:
        raise Refused("not a valid URL") from exc
    scheme = parts.scheme.lower()
    if scheme not in policy.schemes:
        raise Refused(f"the scheme must be {' or '.join(sorted(policy.schemes))}")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise Refused("the URL must not contain credentials")
    if not host:
        raise Refused("the URL has no host")
    if port == 0:
        raise Refused("port 0 is not valid")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme, host, port or (443 if scheme == "https" else 80), path)


# --- sockets that never wait past the deadline ----------------------------------------------------


#: Linux: acknowledge at once instead of delaying the ACK (up to 40 ms). A peer that writes its answer
#: in two pieces with Nagle on (``http.server`` does: headers, then body) otherwise waits for our
#: delayed ACK before the second piece on every kept-alive exchange. The flag does not stick, so it
#: is set before each receive.
_QUICKACK = getattr(socket, "TCP_QUICKACK", None)


class _DeadlineArmed:
    """Before every send and receive, the socket's timeout becomes what is left of ``deadline``."""

    deadline: Deadline | None = None

    def _arm(self) -> None:
        self.settimeout(self.deadline.remaining())

    def _arm_receive(self) -> None:
        self._arm()
        if _QUICKACK is not None:
            self.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)

    def recv(self, *args, **kwargs):
        self._arm_receive()
        return super().recv(*args, **kwargs)

    def recv_into(self, *args, **kwargs):
        self._arm_receive()
        return super().recv_into(*args, **kwargs)

    def send(self, *args, **kwargs):
        self._arm()
        return super().send(*args, **kwargs)

    def sendall(self, *args, **kwargs):
        self._arm()
        return super().sendall(*args, **kwargs)


class _DeadlineSocket(_DeadlineArmed, socket.socket):
    pass


class _DeadlineSSLSocket(_DeadlineArmed, ssl.SSLSocket):
    pass


_tls_contexts: dict[tuple, ssl.SSLContext] = {}


def _tls_context() -> ssl.SSLContext:
    """The system's trust store with hostname checking; one per CA location (``SSL_CERT_FILE``/``_DIR``)."""
    key = (os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
    context = _tls_contexts.get(key)
    if context is None:
        context = ssl.create_default_context()
        context.sslsocket_class = _DeadlineSSLSocket
        _tls_contexts[key] = context
    return context


def _open_socket(addresses: list[str], port: int, deadline: Deadline) -> tuple[socket.socket, str]:
    """A TCP connection to the first checked address that accepts one within the deadline."""
    failure: OSError | None = None
    for address in addresses:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = _DeadlineSocket(family, socket.SOCK_STREAM)
        sock.deadline = deadline
        try:
            sock.settimeout(deadline.remaining())
            sock.connect((address, port))
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock, address
        except OSError as exc:  # TimeoutError included: the next address gets what is left, if anything
            sock.close()
            failure = exc
    raise failure or OSError("no address to connect to")


class _Connection(http.client.HTTPConnection):
    """``http.client``'s connection, connected to a checked address with the deadline on its socket."""

    def __init__(self, target: Target, addresses: list[str], deadline: Deadline):
        super().__init__(target.host, target.port)
        self.default_port = 443 if target.scheme == "https" else 80  # Host header without the default port
        self.tls = target.scheme == "https"
        self.addresses = addresses
        self.deadline = deadline
        self.address: str | None = None
        self.idle_since = 0.0

    def connect(self):
        sock, self.address = _open_socket(self.addresses, self.port, self.deadline)
        if self.tls:
            try:
                sock.settimeout(self.deadline.remaining())
                sock = _tls_context().wrap_socket(sock, server_hostname=self.host)
            except BaseException:
                sock.close()
                raise
            sock.deadline = self.deadline
        self.sock = sock

    def rearm(self, deadline: Deadline) -> None:
        self.deadline = deadline
        if self.sock is not None:
            self.sock.deadline = deadline


def _peer_closed(sock) -> bool:
    """Whether an idle keep-alive socket is readable: the peer closed it (or sent something unasked)."""
    try:
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True


class Pool:
    """Idle keep-alive connections of this process, per (scheme, host, port, checked address)."""

    def __init__(self, *, per_origin: int = 8, idle_seconds: float = 4.0, max_origins: int = 256):
        self.per_origin = per_origin
        self.idle_seconds = idle_seconds
        self.max_origins = max_origins
        self._idle: dict[tuple, list[_Connection]] = {}
        self._lock = threading.Lock()
        self._pid = os.getpid()

    def _own(self) -> dict:
        if self._pid != os.getpid():  # a forked child never shares its parent's sockets
            self._idle, self._pid = {}, os.getpid()
        return self._idle

    def take(self, target: Target, addresses: list[str], deadline: Deadline) -> _Connection | None:
        """An idle connection to one of ``addresses`` (checked just now), re-armed with ``deadline``."""
        now = time.monotonic()
        with self._lock:
            idle = self._own()
            for address in addresses:
                key = (*target.origin, address)
                stack = idle.get(key, [])
                while stack:
                    conn = stack.pop()
                    if now - conn.idle_since < self.idle_seconds and conn.sock and not _peer_closed(conn.sock):
                        conn.rearm(deadline)
                        return conn
                    conn.close()
                idle.pop(key, None)
        return None

    def give(self, conn: _Connection, target: Target) -> None:
        """Keeps a connection whose last response was read to its end, unless there are enough already."""
        conn.idle_since = time.monotonic()
        key = (*target.origin, conn.address)
        with self._lock:
            idle = self._own()
            stack = idle.get(key)
            if stack is None and len(idle) < self.max_origins:
                stack = idle[key] = []
            if stack is None or len(stack) >= self.per_origin:
                conn.close()
                return
            stack.append(conn)

    def clear(self) -> None:
        with self._lock:
            for stack in self._own().values():
                for conn in stack:
                    conn.close()
            self._idle.clear()


# --- exchanges ------------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    reason: str
    headers: dict[str, str]  # names lower-cased
    body: bytes
    #: The body was longer than the cap (only the first ``max_body_bytes`` are in ``body``).
    truncated: bool
    #: The exchange went over a kept-alive connection of the pool.
    reused: bool


@contextmanager
def _failures(deadline: Deadline):
    """Network trouble as TransportError, any timeout as DeadlineExceeded; Refused passes through."""
    try:
        yield
    except (Refused, DeadlineExceeded, TransportError):
        raise
    except TimeoutError as exc:
        raise DeadlineExceeded(deadline.seconds) from exc
    except (OSError, http.client.HTTPException) as exc:
        if deadline.expired:
            raise DeadlineExceeded(deadline.seconds) from exc
        raise TransportError(f"{type(exc).__name__}: {exc}"[:500]) from exc


class Exchange:
    """A response whose body is read as the caller goes (``read`` or ``lines``), under the same deadline."""

    def __init__(self, response: http.client.HTTPResponse, deadline: Deadline, reused: bool):
        self._response = response
        self.deadline = deadline
        self.status = response.status
        self.reason = response.reason
        self.headers = {name.lower(): value for name, value in response.getheaders()}
        self.reused = reused

    def read(self, max_bytes: int) -> tuple[bytes, bool]:
        """Up to ``max_bytes`` of the body, and whether there was more (not read)."""
        chunks, total = [], 0
        with _failures(self.deadline):
            while total <= max_bytes:
                chunk = self._response.read1(max_bytes + 1 - total)
                if not chunk:
                    break
                chunks.append(chunk)
                total += len(chunk)
            self._close_if_complete()
        body = b"".join(chunks)
        return body[:max_bytes], total > max_bytes

    def lines(self, *, max_line_bytes: int = 1024 * 1024) -> Iterator[bytes]:
        """The body line by line (without the line end) until the peer ends it; each read within the deadline."""
        while True:
            with _failures(self.deadline):
                line = self._response.readline(max_line_bytes + 1)
            if not line:
                self._close_if_complete()
                return
            if len(line) > max_line_bytes and not line.endswith(b"\n"):
                raise TransportError(f"a line longer than {max_line_bytes} bytes")
            yield line.rstrip(b"\r\n")

    def _close_if_complete(self) -> None:
        # http.client leaves a Content-Length body read exactly to its end open; closing the response
        # (not the connection) lets the connection carry the next request.
        if self._response.length == 0:
            self._response.close()

    @property
    def finished(self) -> bool:
        """The body was read to its end and the peer keeps the connection open."""
        return self._response.isclosed() and not self._response.will_close


@contextmanager
def exchange(
    method: str,
    url: str,
    *,
    headers: dict[str, str],
    body: bytes | None = None,
    deadline: Deadline,
    policy: Policy,
    pool: Pool | None = None,
) -> Iterator[Exchange]:
    """Sends one request and yields the response with its body unread; closes (or pools) the connection after.

    Raises Refused (nothing was sent), DeadlineExceeded or TransportError.
    """
    target = target_of(url, policy)
    with _failures(deadline):
        addresses = resolve(
            target.host, target.port, deadline=deadline, public_only=policy.public_only, loopback_ok=policy.loopback_ok
        )
    conn = pool.take(target, addresses, deadline) if pool is not None else None
    reused = conn is not None
    if conn is None:
        conn = _Connection(target, addresses, deadline)
    if pool is None:
        headers = {"Connection": "close", **headers}
    keep = False
    try:
        with _failures(deadline):
            conn.request(method, target.path, body=body, headers=headers)
            answer = Exchange(conn.getresponse(), deadline, reused)
        yield answer
        keep = pool is not None and answer.finished
    finally:
        if keep:
            pool.give(conn, target)
        else:
            conn.close()


def request(method: str, url: str, *, max_body_bytes: int, **options) -> Response:
    """One exchange with its body read (at most ``max_body_bytes``); ``options`` and what it raises as ``exchange``."""
    with exchange(method, url, **options) as answer:
        data, truncated = answer.read(max_body_bytes)
        return Response(answer.status, answer.reason, answer.headers, data, truncated, answer.reused)
