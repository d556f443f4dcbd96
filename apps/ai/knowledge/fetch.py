"""Fetching a web page for the knowledge base without becoming an SSRF proxy.

* Only ``http``/``https`` on the default ports 80/443 (or an explicit port), no userinfo.
* The host is resolved once; EVERY address must be public (not private, loopback,
  link-local, multicast, reserved, unspecified, CGNAT, IPv4-mapped private). The
  connection then goes to that vetted address (TLS still verifies the host name), so a
  DNS answer that changes between check and connect (rebinding) cannot reach inside.
* Redirects are followed by hand, at most ``MAX_REDIRECTS``, each target checked again.
* Connect/read timeout, a byte cap on the body, and a content-type allow-list.

``check_public_url`` runs the same checks when a URL is submitted, so an internal address is
refused at once (400) instead of taking a quota slot until the task refuses it; its DNS wait
is bounded (``CREATE_RESOLVE_TIMEOUT_SECONDS``) and a host that does not resolve (in time) is
accepted, as webhooks do at create: the fetch resolves and checks again.

``settings.AI_INGEST_ALLOW_LOOPBACK`` lets tests fetch from a server on 127.0.0.1; it
allows loopback only (never private ranges) and defaults to false.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as ResolveTimeout
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from django.conf import settings

MAX_REDIRECTS = 3
ALLOWED_CONTENT_TYPES = {"text/html", "application/xhtml+xml", "text/plain", "text/markdown", "application/pdf"}
USER_AGENT = "RingnityKnowledgeBot/1.0 (+https://ringnity.com)"
#: How long a URL submission waits for DNS before leaving the address check to the fetch.
CREATE_RESOLVE_TIMEOUT_SECONDS = 2.0
#: ``getaddrinfo`` has no timeout of its own: submissions resolve on these few threads and wait at
#: most the timeout, so a slow resolver costs a bounded number of threads, never a held request.
_create_resolver = ThreadPoolExecutor(max_workers=4, thread_name_prefix="ai-url-resolve")


class FetchError(ValueError):
    """The URL may not or could not be fetched; the message is the reason shown to the tenant."""


class UnresolvedHost(FetchError):
    """The host name did not resolve (maybe only for now)."""


@dataclass(frozen=True)
class Fetched:
    url: str
    content_type: str
    body: bytes


def _address_allowed(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return bool(settings.AI_INGEST_ALLOW_LOOPBACK)
    if ip in ipaddress.ip_network("100.64.0.0/10"):  # carrier-grade NAT: internal in practice
        return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def check_url(url: str) -> tuple[str, str, int]:
    """``(scheme, host, port)`` of a URL we may try to fetch; raises FetchError otherwise (no DNS)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise FetchError("The URL is malformed.") from exc
    if parts.scheme not in ("http", "https"):
        raise FetchError("Only http and https URLs can be ingested.")
    if not parts.hostname:
        raise FetchError("The URL has no host.")
    if parts.username or parts.password:
        raise FetchError("URLs with credentials are not accepted.")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def resolve_public(host: str, port: int) -> str:
    """One vetted address of ``host``; every address it resolves to must be allowed."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnresolvedHost("The host name could not be resolved.") from exc
    addresses = [info[4][0] for info in infos]
    if not addresses or not all(_address_allowed(address) for address in addresses):
        raise FetchError("The URL points at a private, loopback or otherwise internal address.")
    return addresses[0]


def check_public_url(url: str, *, timeout: float = CREATE_RESOLVE_TIMEOUT_SECONDS) -> None:
    """Submission-time check: the URL's shape, and every address its host resolves to.

    Raises FetchError for a malformed URL or an internal address (loopback only where
    ``AI_INGEST_ALLOW_LOOPBACK``). A host that does not resolve, or not within ``timeout``
    seconds, passes: ``fetch`` resolves and checks again, and refuses it then.
    """
    _, host, port = check_url(url)
    pending = _create_resolver.submit(resolve_public, host, port)
    try:
        pending.result(timeout=timeout)
    except (UnresolvedHost, ResolveTimeout):
        return


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _read_capped(response, limit: int) -> bytes:
    declared = response.getheader("Content-Length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise FetchError(f"The page is larger than {limit} bytes.")
    body = response.read(limit + 1)
    if len(body) > limit:
        raise FetchError(f"The page is larger than {limit} bytes.")
    return body


def fetch(url: str) -> Fetched:
    """GET ``url`` under the rules above; raises FetchError with a reason fit for the tenant."""
    timeout = settings.AI_INGEST_TIMEOUT_SECONDS
    limit = settings.AI_INGEST_MAX_BYTES
    for _ in range(MAX_REDIRECTS + 1):
        scheme, host, port = check_url(url)
        address = resolve_public(host, port)
        connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
        connection = connection_class(host, port, address, timeout)
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            connection.request("GET", target, headers={"User-Agent": USER_AGENT, "Accept": "text/html, */*;q=0.5"})
            response = connection.getresponse()
            if response.status in (301, 302, 303, 307, 308):
                location = response.getheader("Location")
                if not location:
                    raise FetchError("A redirect without a Location header.")
                url = urljoin(url, location)
                continue
            if response.status != 200:
                raise FetchError(f"The page answered HTTP {response.status}.")
            content_type = (response.getheader("Content-Type") or "").split(";")[0].strip().lower()
            if content_type not in ALLOWED_CONTENT_TYPES:
                raise FetchError(f"Unsupported content type '{content_type or 'none'}'.")
            return Fetched(url=url, content_type=content_type, body=_read_capped(response, limit))
        except (OSError, http.client.HTTPException) as exc:
            raise FetchError("The page could not be fetched (network error or timeout).") from exc
        finally:
            connection.close()
    raise FetchError(f"More than {MAX_REDIRECTS} redirects.")
