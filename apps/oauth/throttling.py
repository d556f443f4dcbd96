"""Request-rate limits of the token endpoint: per client IP and per ``client_id``, in the shared cache.

A fixed window per subject (``OAUTH_TOKEN_RATE_LIMITS``: ``{"ip": (count, seconds), "client":
(count, seconds)}``, default 60 and 300 a minute). Over the limit the endpoint answers 429
``temporarily_unavailable`` with ``Retry-After``; nothing of the request is processed.
"""

from __future__ import annotations

import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache

DEFAULT_LIMITS = {"ip": (60, 60), "client": (300, 60)}


def _limits() -> dict:
    return {**DEFAULT_LIMITS, **getattr(settings, "OAUTH_TOKEN_RATE_LIMITS", {})}


def token_rate_exceeded(*, ip: str, client_id: str) -> int | None:
    """Counts this request; returns the seconds to wait when a limit is exceeded, else None."""
    now = time.time()
    wait = None
    for kind, value in (("ip", ip), ("client", client_id)):
        if not value:
            continue
        limit, window = _limits()[kind]
        start = int(now // window) * window
        digest = hashlib.sha256(value.encode()).hexdigest()[:32]
        key = f"oauth-token-rate:{kind}:{digest}:{start}"
        cache.add(key, 0, timeout=window + 1)
        try:
            count = cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=window + 1)
            count = 1
        if count > limit:
            wait = max(wait or 0, max(1, math.ceil(start + window - now)))
    return wait
