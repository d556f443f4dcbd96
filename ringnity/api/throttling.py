"""Login throttling: failed attempts counted per client IP and per account, in the shared cache.

Usage in a login view::

    throttle = LoginThrottle("platform-login")
    throttle.check(ip=ip, account=email)          # 429 RATE_LIMITED + Retry-After when locked
    user = authenticate(...)
    if user is None:
        throttle.record_failure(ip=ip, account=email)
        raise ApiError(AUTH_INVALID_CREDENTIALS, ...)
    throttle.reset(account=email)

How it counts: the first failure opens a window of ``window`` seconds (a cache key
with that TTL); each failure increments it. When a counter reaches its limit a
lock key is written for ``lockout`` seconds holding its expiry time, which is
what ``Retry-After`` reports. Only failures count, so a user who types the right
password is never slowed down by their own success. Accounts are keyed by a hash
of the folded identifier (``ringnity.api.identifiers.fold``, the form the account lookups
use; no e-mail addresses in cache keys). The counters
live in the Django cache (Redis in production), so every web worker shares them.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache

from ringnity.api.errors import ApiError, ErrorCode
from ringnity.api.identifiers import fold


def client_ip(request) -> str:
    """The client address: ``REMOTE_ADDR``, or behind ``TRUSTED_PROXY_COUNT`` proxies the address the
    outermost trusted proxy saw (counted from the right of ``X-Forwarded-For``, which clients can forge
    on the left only)."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def window_charge(key: str, *, limit: int, window: int, amount: int = 1) -> int | None:
    """Adds ``amount`` to ``key``'s counter in the current fixed window of ``window`` seconds (shared
    cache, so every worker counts together). Within ``limit`` it returns None; beyond it the charge
    is taken back (a refused request uses up nothing) and the seconds until the window ends are
    returned, for ``Retry-After``."""
    now = time.time()
    start = int(now // window) * window
    bucket = f"rate:{key}:{start}"
    cache.add(bucket, 0, timeout=window + 1)
    try:
        total = cache.incr(bucket, amount)
    except ValueError:  # expired between add and incr
        cache.set(bucket, amount, timeout=window + 1)
        total = amount
    if total <= limit:
        return None
    with contextlib.suppress(ValueError):  # the window ended meanwhile: nothing left to take back
        cache.decr(bucket, amount)
    return max(1, math.ceil(start + window - now))


def rate_limited(message: str, retry_after: int, details: list[str] | None = None) -> ApiError:
    """429 ``RATE_LIMITED`` with ``Retry-After``."""
    return ApiError(
        ErrorCode.RATE_LIMITED, message, status=429, details=details, headers={"Retry-After": str(retry_after)}
    )


class LoginThrottle:
    def __init__(
        self,
        scope: str,
        *,
        account_limit: int = 5,
        ip_limit: int = 20,
        window: int = 15 * 60,
        lockout: int = 15 * 60,
    ) -> None:
        self.scope = scope
        self.limits = {"account": account_limit, "ip": ip_limit}
        self.window = window
        self.lockout = lockout

    def _key(self, kind: str, value: str, what: str) -> str:
        if kind == "account":
            value = hashlib.sha256(fold(value).encode()).hexdigest()[:32]
        return f"throttle:{self.scope}:{kind}:{what}:{value}"

    def _subjects(self, ip: str | None, account: str | None) -> list[tuple[str, str]]:
        return [(kind, value) for kind, value in (("ip", ip), ("account", account)) if value]

    def check(self, *, ip: str | None = None, account: str | None = None) -> None:
        """Raises 429 ``RATE_LIMITED`` with ``Retry-After`` while the IP or the account is locked."""
        now = time.time()
        keys = [self._key(kind, value, "lock") for kind, value in self._subjects(ip, account)]
        locks = cache.get_many(keys) if keys else {}
        until = max((float(v) for v in locks.values() if v), default=0.0)
        if until > now:
            raise rate_limited("Too many failed sign-in attempts; retry later.", max(1, math.ceil(until - now)))

    def record_failure(self, *, ip: str | None = None, account: str | None = None) -> None:
        for kind, value in self._subjects(ip, account):
            counter = self._key(kind, value, "fails")
            cache.add(counter, 0, timeout=self.window)
            try:
                count = cache.incr(counter)
            except ValueError:  # expired between add and incr
                cache.set(counter, 1, timeout=self.window)
                count = 1
            if count >= self.limits[kind]:
                cache.set(self._key(kind, value, "lock"), time.time() + self.lockout, timeout=self.lockout)

    def reset(self, *, account: str | None = None) -> None:
        """After a successful sign-in: forget the account's failures (the IP's stay counted)."""
        if account:
            cache.delete_many([self._key("account", account, "fails"), self._key("account", account, "lock")])
