"""Request-rate limits of the token endpoint and the sign-in form: per client IP and per ``client_id``.

A fixed window per subject (``ringnity.api.throttling.window_charge``, both subjects in one round trip);
every admitted request counts, not only failures (the sign-in form also has the dashboards' failure
lockout per account and IP, ``signin``). Limits come from settings,
``{"ip": (count, seconds), "client": (count, seconds)}``: ``OAUTH_TOKEN_RATE_LIMITS`` (default 60 and
300 a minute) and ``OAUTH_SIGNIN_RATE_LIMITS`` (default 30 and 300 a minute). Over a limit the endpoint
answers 429 with ``Retry-After`` (the token endpoint as ``temporarily_unavailable``) and does nothing else.
"""

from __future__ import annotations

import hashlib

from django.conf import settings

from ringnity.api.throttling import Window, window_charge

DEFAULT_LIMITS = {
    "token": {"ip": (60, 60), "client": (300, 60)},
    "signin": {"ip": (30, 60), "client": (300, 60)},
}
SETTINGS = {"token": "OAUTH_TOKEN_RATE_LIMITS", "signin": "OAUTH_SIGNIN_RATE_LIMITS"}


def _limits(scope: str) -> dict:
    return {**DEFAULT_LIMITS[scope], **getattr(settings, SETTINGS[scope], {})}


def rate_exceeded(scope: str, *, ip: str, client_id: str) -> int | None:
    """Counts this request; returns the seconds to wait when a limit is exceeded, else None."""
    limits = _limits(scope)
    windows = []
    for kind, value in (("ip", ip), ("client", client_id)):
        if value:
            limit, seconds = limits[kind]
            digest = hashlib.sha256(value.encode()).hexdigest()[:32]
            windows.append(Window(f"oauth-rate:{scope}:{kind}:{digest}", limit, seconds))
    return window_charge(windows).retry_after if windows else None
