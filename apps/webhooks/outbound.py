"""Outbound HTTP to customer endpoints, safe against SSRF.

The host is resolved once; every address it resolves to must be public (not private, loopback,
link-local, multicast, unspecified, reserved, shared, or an IPv4-mapped/-compatible IPv6 address),
and the request connects to the very address that was checked, so a DNS answer that changes
between the check and the connection (rebinding) cannot redirect it. TLS still verifies the
certificate against the host name (SNI + hostname check). Redirects are never followed.

``WEBHOOKS_ALLOW_LOOPBACK=true`` (development and tests only) additionally allows ``http://`` and
loopback addresses; private networks stay refused even then.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from apps.webhooks.models import RESPONSE_BODY_MAX_CHARS, URL_MAX_LENGTH

DEFAULT_TIMEOUT_SECONDS = 10
# How much of a response we read at all; the log keeps the first 2 KB of it.
RESPONSE_READ_CAP_BYTES = 8 * 1024


class UnsafeTarget(Exception):
    """The URL may not be called (scheme, credentials, or an address that is not public)."""


def allow_loopback() -> bool:
    return bool(getattr(settings, "WEBHOOKS_ALLOW_LOOPBACK", False))


def timeout_seconds() -> float:
    return float(getattr(settings, "WEBHOOKS_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS))


def address_problem(address: str, *, loopback_ok: bool) -> str | None:
    """Why ``address`` (an IP literal) may not be called, or None when it may."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and (ip.ipv4_mapped or ip.sixtofour or ip.teredo):
        return f"{address} is an IPv4 address wrapped in IPv6"
    if ip.is_loopback:
        return None if loopback_ok else f"{address} is a loopback address"
    if ip.is_unspecified:
        return f"{address} is the unspecified address"
    if ip.is_multicast:
        return f"{address} is a multicast address"
    if ip.is_link_local:
        return f"{address} is a link-local address"
    if ip.is_private or ip.is_reserved or not ip.is_global:
        return f"{address} is a private or reserved address"
    return None


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str | None  # the checked IP to connect to; None until resolved


def url_problems(url: str) -> list[str]:
    """Static checks of a webhook URL (no DNS): scheme, credentials, length, host, port."""
    if not isinstance(url, str) or not url:
        return ["url: required."]
    if len(url) > URL_MAX_LENGTH:
        return [f"url: at most {URL_MAX_LENGTH} characters."]
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        return ["url: must not contain whitespace or control characters."]
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ["url: not a valid URL."]
    problems = []
    allowed = {"https", "http"} if allow_loopback() else {"https"}
    if parts.scheme.lower() not in allowed:
        problems.append("url: must use https.")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        problems.append("url: must not contain credentials.")
    if not parts.hostname:
        problems.append("url: must have a host.")
    if port == 0:
        problems.append("url: port 0 is not valid.")
    return problems


def target_for(url: str) -> Target:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    port = parts.port or (443 if scheme == "https" else 80)
    return Target(scheme=scheme, host=parts.hostname or "", port=port, path=path, address=None)


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeTarget(f"{host} does not resolve") from exc
    return list(dict.fromkeys(info[4][0] for info in infos))


def resolve_checked(url: str) -> Target:
    """The URL's target with one checked address; UnsafeTarget when any resolved address is refused."""
    problems = url_problems(url)
    if problems:
        raise UnsafeTarget("; ".join(p.removeprefix("url: ") for p in problems))
    target = target_for(url)
    addresses = _resolve(target.host, target.port)
    loopback_ok = allow_loopback()
    for address in addresses:
        problem = address_problem(address, loopback_ok=loopback_ok)
        if problem:
            raise UnsafeTarget(f"{target.host} resolves to {problem}")
    return Target(target.scheme, target.host, target.port, target.path, addresses[0])


def create_time_problems(url: str) -> list[str]:
    """Everything wrong with a URL at create/update time, including what its host resolves to.

    A host that does not resolve (yet) is accepted; it is resolved and checked again at every send.
    """
    problems = url_problems(url)
    if problems:
        return problems
    try:
        resolve_checked(url)
    except UnsafeTarget as exc:
        if "does not resolve" not in str(exc):
            return [f"url: refused, {exc}."]
    return []


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
        self._address = target.address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


@dataclass
class Response:
    status: int | None
    body: str
    headers: dict[str, str]
    error: str
    duration_ms: int


def _read_capped(response: http.client.HTTPResponse) -> bytes:
    chunks, total = [], 0
    while total < RESPONSE_READ_CAP_BYTES:
        chunk = response.read1(RESPONSE_READ_CAP_BYTES - total) if hasattr(response, "read1") else b""
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float | None = None) -> Response:
    """POSTs ``body`` once; never raises for network trouble (it is in ``error``). Deadline covers everything.

    The deadline (``WEBHOOKS_TIMEOUT_SECONDS``, 10 s by default) covers DNS, connect, TLS, sending and
    reading; a watchdog closes the socket when it passes, so a receiver dribbling bytes cannot hold
    the worker longer.
    """
    limit = timeout_seconds() if timeout is None else timeout
    started = time.monotonic()
    conn = None
    expired = threading.Event()

    def elapsed_ms() -> int:
        return int((time.monotonic() - started) * 1000)

    def watchdog():
        expired.set()
        sock = getattr(conn, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(limit, watchdog)
    timer.daemon = True
    timer.start()
    try:
        target = resolve_checked(url)
        connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
        conn = connection_class(target, timeout=limit)
        conn.request("POST", target.path, body=body, headers=headers)
        response = conn.getresponse()
        raw = _read_capped(response)
        if expired.is_set():
            raise TimeoutError
        text = raw.decode("utf-8", errors="replace")[:RESPONSE_BODY_MAX_CHARS]
        return Response(response.status, text, {k.lower(): v for k, v in response.getheaders()}, "", elapsed_ms())
    except UnsafeTarget as exc:
        return Response(None, "", {}, f"refused: {exc}", elapsed_ms())
    except TimeoutError:
        return Response(None, "", {}, f"timed out after {limit:g} s", elapsed_ms())
    except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
        if expired.is_set():
            return Response(None, "", {}, f"timed out after {limit:g} s", elapsed_ms())
        return Response(None, "", {}, f"{type(exc).__name__}: {exc}"[:500], elapsed_ms())
    finally:
        timer.cancel()
        if conn is not None:
            conn.close()
