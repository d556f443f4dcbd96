"""Fetching a web page for the knowledge base without becoming an SSRF proxy.

Over the shared outbound transport (``ringnity.outbound``), so the rules are the webhooks' rules:

* Only ``http``/``https``, no userinfo.
* The host is resolved once; EVERY address must be public (the one address table of
  ``ringnity.outbound.addresses``: private, loopback, link-local, CGNAT, 6to4, NAT64 of a private
  address, ``192.0.0.0/24``... refused). The connection then goes to that vetted address (TLS still
  verifies the host name), so a DNS answer that changes between check and connect (rebinding)
  cannot reach inside.
* Redirects are followed by hand, at most ``MAX_REDIRECTS``, each target checked again.
* ``AI_INGEST_TIMEOUT_SECONDS`` is the deadline of the whole fetch, redirects included: DNS,
  connect, TLS, send and every read end then, whatever the server does. A byte cap on the body
  (``AI_INGEST_MAX_BYTES``) and a content-type allow-list.

``check_public_url`` runs the same checks when a URL is submitted, so an internal address is
refused at once (400) instead of taking a quota slot until the task refuses it; its DNS wait
is bounded (``CREATE_RESOLVE_TIMEOUT_SECONDS``) and a host that does not resolve (in time) is
accepted, as webhooks do at create: the fetch resolves and checks again.

``settings.AI_INGEST_ALLOW_LOOPBACK`` lets tests fetch from a server on 127.0.0.1; it
allows loopback only (never private ranges) and defaults to false.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from django.conf import settings

from ringnity import outbound

MAX_REDIRECTS = 3
ALLOWED_CONTENT_TYPES = {"text/html", "application/xhtml+xml", "text/plain", "text/markdown", "application/pdf"}
USER_AGENT = "RingnityKnowledgeBot/1.0 (+https://ringnity.com)"
#: How long a URL submission waits for DNS before leaving the address check to the fetch.
CREATE_RESOLVE_TIMEOUT_SECONDS = 2.0
INTERNAL_ADDRESS = "The URL points at a private, loopback or otherwise internal address."


class FetchError(ValueError):
    """The URL may not or could not be fetched; the message is the reason shown to the tenant."""


class UnresolvedHost(FetchError):
    """The host name did not resolve (maybe only for now)."""


@dataclass(frozen=True)
class Fetched:
    url: str
    content_type: str
    body: bytes


def _policy() -> outbound.Policy:
    return outbound.Policy(schemes=frozenset({"http", "https"}), loopback_ok=bool(settings.AI_INGEST_ALLOW_LOOPBACK))


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


def check_public_url(url: str, *, timeout: float = CREATE_RESOLVE_TIMEOUT_SECONDS) -> None:
    """Submission-time check: the URL's shape, and every address its host resolves to.

    Raises FetchError for a malformed URL or an internal address (loopback only where
    ``AI_INGEST_ALLOW_LOOPBACK``). A host that does not resolve, or not within ``timeout``
    seconds, passes: ``fetch`` resolves and checks again, and refuses it then.
    """
    _, host, port = check_url(url)
    rules = _policy()
    try:
        outbound.resolve(
            host, port, deadline=outbound.Deadline(timeout), public_only=True, loopback_ok=rules.loopback_ok
        )
    except (outbound.Unresolved, outbound.DeadlineExceeded):
        return
    except outbound.Refused as exc:
        raise FetchError(INTERNAL_ADDRESS) from exc


def _page(answer: outbound.Exchange, url: str, limit: int) -> Fetched:
    if answer.status != 200:
        raise FetchError(f"The page answered HTTP {answer.status}.")
    content_type = (answer.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type not in ALLOWED_CONTENT_TYPES:
        raise FetchError(f"Unsupported content type '{content_type or 'none'}'.")
    declared = answer.headers.get("content-length") or ""
    if declared.isdigit() and int(declared) > limit:
        raise FetchError(f"The page is larger than {limit} bytes.")
    body, truncated = answer.read(limit)
    if truncated:
        raise FetchError(f"The page is larger than {limit} bytes.")
    return Fetched(url=url, content_type=content_type, body=body)


def fetch(url: str) -> Fetched:
    """GET ``url`` under the rules above; raises FetchError with a reason fit for the tenant."""
    seconds = settings.AI_INGEST_TIMEOUT_SECONDS
    deadline = outbound.Deadline(seconds)
    headers = {"User-Agent": USER_AGENT, "Accept": "text/html, */*;q=0.5"}
    try:
        for _ in range(MAX_REDIRECTS + 1):
            check_url(url)
            with outbound.exchange("GET", url, headers=headers, deadline=deadline, policy=_policy()) as answer:
                if answer.status not in (301, 302, 303, 307, 308):
                    return _page(answer, url, settings.AI_INGEST_MAX_BYTES)
                location = answer.headers.get("location")
                if not location:
                    raise FetchError("A redirect without a Location header.")
            url = urljoin(url, location)
    except outbound.Unresolved as exc:
        raise UnresolvedHost("The host name could not be resolved.") from exc
    except outbound.Refused as exc:
        raise FetchError(INTERNAL_ADDRESS) from exc
    except outbound.DeadlineExceeded as exc:
        raise FetchError(f"The page did not load within {seconds:g} s.") from exc
    except outbound.TransportError as exc:
        raise FetchError("The page could not be fetched (network error).") from exc
    raise FetchError(f"More than {MAX_REDIRECTS} redirects.")
