"""Webhook sends over the shared outbound transport (``ringnity.outbound``).

What this module adds to it: the rules for an endpoint URL (https only, no credentials, at most
2,048 characters), the create-time address check, and ``post``: one signed POST that never raises,
under one deadline for the whole attempt (``WEBHOOKS_TIMEOUT_SECONDS``: DNS, connect, TLS, send
and read), reusing a keep-alive connection per endpoint address (``KEEP_ALIVE``). Every address
the host resolves to must be public (``ringnity.outbound.addresses``); the connection goes to the
checked address and TLS verifies the host name. Redirects are never followed.

``WEBHOOKS_ALLOW_LOOPBACK=true`` (development and tests only) additionally allows ``http://`` and
loopback addresses; private networks stay refused even then.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from apps.webhooks.models import RESPONSE_BODY_MAX_CHARS, URL_MAX_LENGTH
from ringnity import outbound

DEFAULT_TIMEOUT_SECONDS = 10
#: How long an endpoint create/update waits for DNS before leaving the address check to the send.
CREATE_RESOLVE_TIMEOUT_SECONDS = 2.0
#: How much of a response we read at all; the log keeps the first 2 KB of it.
RESPONSE_READ_CAP_BYTES = 8 * 1024
#: Keep-alive connections of this worker process, per endpoint address.
KEEP_ALIVE = outbound.Pool()


def allow_loopback() -> bool:
    return bool(getattr(settings, "WEBHOOKS_ALLOW_LOOPBACK", False))


def timeout_seconds() -> float:
    return float(getattr(settings, "WEBHOOKS_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS))


def policy() -> outbound.Policy:
    loopback = allow_loopback()
    return outbound.Policy(schemes=frozenset({"https", "http"} if loopback else {"https"}), loopback_ok=loopback)


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


def create_time_problems(url: str) -> list[str]:
    """Everything wrong with a URL at create/update time, including what its host resolves to.

    A host that does not resolve (yet, or within ``CREATE_RESOLVE_TIMEOUT_SECONDS``) is accepted;
    it is resolved and checked again at every send.
    """
    problems = url_problems(url)
    if problems:
        return problems
    rules = policy()
    try:
        target = outbound.target_of(url, rules)
        outbound.resolve(
            target.host,
            target.port,
            deadline=outbound.Deadline(CREATE_RESOLVE_TIMEOUT_SECONDS),
            public_only=True,
            loopback_ok=rules.loopback_ok,
        )
    except (outbound.Unresolved, outbound.DeadlineExceeded):
        return []
    except outbound.Refused as exc:
        return [f"url: refused, {exc}."]
    return []


@dataclass
class Response:
    status: int | None
    body: str
    headers: dict[str, str]
    error: str
    duration_ms: int


def post(url: str, body: bytes, headers: dict[str, str], *, deadline: outbound.Deadline | None = None) -> Response:
    """POSTs ``body`` once; never raises for network trouble (it is in ``error``).

    ``deadline`` (default: ``WEBHOOKS_TIMEOUT_SECONDS`` from now) bounds the whole exchange.
    """
    deadline = deadline or outbound.Deadline(timeout_seconds())
    started = time.monotonic()

    def failed(error: str) -> Response:
        return Response(None, "", {}, error, int((time.monotonic() - started) * 1000))

    problems = url_problems(url)
    if problems:
        return failed("refused: " + "; ".join(p.removeprefix("url: ") for p in problems))
    try:
        answer = outbound.request(
            "POST",
            url,
            headers=headers,
            body=body,
            deadline=deadline,
            policy=policy(),
            max_body_bytes=RESPONSE_READ_CAP_BYTES,
            pool=KEEP_ALIVE,
        )
    except outbound.Refused as exc:
        return failed(f"refused: {exc}")
    except (outbound.DeadlineExceeded, outbound.TransportError) as exc:
        return failed(str(exc))
    text = answer.body.decode("utf-8", errors="replace")[:RESPONSE_BODY_MAX_CHARS]
    return Response(answer.status, text, answer.headers, "", int((time.monotonic() - started) * 1000))
