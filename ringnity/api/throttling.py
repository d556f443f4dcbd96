"""Rate limits in the shared cache: the one fixed-window counter, the visible request limits, login lockouts.

* ``window_charge([Window(key, limit, seconds, amount), ...])``: the project's one fixed-window
  counter (request limits, anonymous visitor starts, uploads, AI messages, the OAuth endpoints). All
  budgets of a call are charged in one Redis round trip (a Lua script), all or nothing: a request over
  any limit is refused and uses up nothing.
* ``RequestRateThrottle`` (DRF's default throttle, so every API view): each request draws on its
  credential's budget and its client address's budget within the tenant, both from the tenant's plan
  (quotas ``api_requests_per_minute`` and ``api_requests_per_minute_per_ip``, through
  ``register_rate_limit_source``), else the deployment's ``API_RATE_LIMIT_PER_MINUTE`` and
  ``API_RATE_LIMIT_PER_IP_PER_MINUTE``; a request without a tenant-bound credential draws on its
  address's deployment-wide budget. ``RateLimitHeadersMiddleware`` answers the tightest budget as
  ``RateLimit-Limit`` / ``RateLimit-Remaining`` / ``RateLimit-Reset``; beyond it 429 ``RATE_LIMITED``
  with ``Retry-After`` and the same fields.
* ``LoginThrottle``: failed sign-ins per client IP and per account. The first failure opens a window
  of ``window`` seconds; at the limit a lock key is written for ``lockout`` seconds holding its expiry
  (what ``Retry-After`` reports). Only failures count. Accounts are keyed by a hash of the folded
  identifier (``ringnity.api.identifiers.fold``; no e-mail addresses in cache keys)::

    throttle = LoginThrottle("platform-login")
    throttle.check(ip=ip, account=email)          # 429 RATE_LIMITED + Retry-After when locked
    user = authenticate(...)
    if user is None:
        throttle.record_failure(ip=ip, account=email)
        raise ApiError(AUTH_INVALID_CREDENTIALS, ...)
    throttle.reset(account=email)
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

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


@dataclass(frozen=True)
class Window:
    """One fixed-window budget: at most ``limit`` units per ``seconds`` under ``key`` (``amount`` per charge)."""

    key: str
    limit: int
    seconds: int
    amount: int = 1


@dataclass(frozen=True)
class WindowState:
    """A budget after a charge: ``remaining`` units and ``reset`` seconds until its window ends."""

    limit: int
    remaining: int
    reset: int
    over: bool


@dataclass(frozen=True)
class Charge:
    states: tuple[WindowState, ...]

    @property
    def refused(self) -> bool:
        return any(state.over for state in self.states)

    @property
    def retry_after(self) -> int | None:
        """Seconds until every exhausted budget has a new window (``Retry-After``), or None when admitted."""
        waits = [state.reset for state in self.states if state.over]
        return max(waits) if waits else None

    @property
    def tightest(self) -> WindowState:
        """The budget closest to running out (what the ``RateLimit-*`` headers report)."""
        return min(self.states, key=lambda state: (not state.over, state.remaining, -state.reset))


# INCRBY every bucket (a new one gets its TTL); if any is over its limit, take every charge back, so a
# refused request uses up nothing. One EVALSHA: one Redis round trip for any number of budgets.
_CHARGE_SCRIPT = """
local over = false
local counts = {}
for i, key in ipairs(KEYS) do
  local amount = tonumber(ARGV[3 * i - 2])
  local count = redis.call('INCRBY', key, amount)
  if count == amount then redis.call('EXPIRE', key, tonumber(ARGV[3 * i - 1])) end
  counts[i] = count
  if count > tonumber(ARGV[3 * i]) then over = true end
end
if over then
  for i, key in ipairs(KEYS) do redis.call('DECRBY', key, tonumber(ARGV[3 * i - 2])) end
end
return counts
"""
_local_lock = threading.Lock()


def _redis_script():
    """The registered script on the cache's Redis client, or None for a cache without Redis (embedded)."""
    client = getattr(cache, "client", None)
    if client is None or not hasattr(client, "get_client"):
        return None
    redis_client = client.get_client(write=True)
    script = getattr(redis_client, "_ringnity_window_charge", None)
    if script is None:
        script = redis_client.register_script(_CHARGE_SCRIPT)
        redis_client._ringnity_window_charge = script
    return script


def _local_counts(buckets: list[str], windows: list[Window]) -> list[int]:
    """The script's semantics on a cache without Redis (the embedded default's one process)."""
    with _local_lock:
        found = cache.get_many(buckets)
        counts = [int(found.get(bucket, 0)) + w.amount for bucket, w in zip(buckets, windows, strict=True)]
        if not any(count > w.limit for count, w in zip(counts, windows, strict=True)):
            for bucket, count, w in zip(buckets, counts, windows, strict=True):
                cache.set(bucket, count, timeout=w.seconds + 1)
        return counts


def window_charge(windows: list[Window], *, now: float | None = None) -> Charge:
    """Charges every budget of ``windows`` in its current fixed window, all or nothing: the one
    fixed-window counter of the project (shared cache, so every worker counts together; one Redis
    round trip). A request over any limit is refused and takes nothing from the others."""
    now = time.time() if now is None else now
    starts = [int(now // w.seconds) * w.seconds for w in windows]
    buckets = [f"rate:{w.key}:{start}" for w, start in zip(windows, starts, strict=True)]
    script = _redis_script()
    if script is None:
        counts = _local_counts(buckets, windows)
    else:
        args = [value for w in windows for value in (w.amount, w.seconds + 1, w.limit)]
        counts = [int(count) for count in script(keys=[cache.make_key(b) for b in buckets], args=args)]
    states = []
    for w, start, count in zip(windows, starts, counts, strict=True):
        over = count > w.limit
        used = count - w.amount if over else count
        states.append(WindowState(w.limit, max(0, w.limit - used), max(1, math.ceil(start + w.seconds - now)), over))
    return Charge(tuple(states))


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


# --- visible request rate limits (every API route) ----------------------------------------------------

RATE_WINDOW_SECONDS = 60
#: Seconds a process keeps a tenant's limits before asking the plan again (a console edit applies within it).
TENANT_LIMITS_TTL_SECONDS = 30
#: The tightest budget of the request, set on the ``HttpRequest`` for ``RateLimitHeadersMiddleware``.
RATE_STATE_ATTRIBUTE = "ringnity_rate_limit"

_limit_source: Callable[[Any], tuple[int | None, int | None]] | None = None
_tenant_limits: dict[Any, tuple[float, tuple[int, int]]] = {}


def register_rate_limit_source(source: Callable[[Any], tuple[int | None, int | None]]) -> None:
    """``source(tenant)`` answers the plan's (per credential, per client address) requests a minute, None
    where the plan sets no number. Registered by the plans app; this plumbing knows no app."""
    global _limit_source
    _limit_source = source
    _tenant_limits.clear()


def forget_tenant_rate_limits(tenant_pk=None) -> None:
    """Drops this process's copy of a tenant's limits (every tenant's when None), e.g. when its plan changes."""
    if tenant_pk is None:
        _tenant_limits.clear()
    else:
        _tenant_limits.pop(tenant_pk, None)


def tenant_rate_limits(tenant) -> tuple[int, int]:
    """(per credential, per client address) requests a minute for ``tenant``: the plan's numbers, else the
    deployment's defaults; kept in this process for ``TENANT_LIMITS_TTL_SECONDS`` so a request costs no
    entitlement lookup of its own."""
    now = time.monotonic()
    cached = _tenant_limits.get(tenant.pk)
    if cached is not None and cached[0] > now:
        return cached[1]
    credential, address = _limit_source(tenant) if _limit_source is not None else (None, None)
    limits = (credential or settings.API_RATE_LIMIT_PER_MINUTE, address or settings.API_RATE_LIMIT_PER_IP_PER_MINUTE)
    if len(_tenant_limits) > 10_000:
        _tenant_limits.clear()
    _tenant_limits[tenant.pk] = (now + TENANT_LIMITS_TTL_SECONDS, limits)
    return limits


def request_windows(request) -> list[Window]:
    """The budgets a request draws on: its credential's and its address's within the tenant, or for a
    request without a tenant-bound credential the address's across the deployment (and an operator's own)."""
    principal = getattr(request, "auth", None)
    address = client_ip(request)
    tenant = getattr(principal, "tenant", None)
    reference = getattr(principal, "credential_reference", "")
    if tenant is not None and reference:
        per_credential, per_address = tenant_rate_limits(tenant)
        return [
            Window(f"api:credential:{tenant.pk}:{_digest(reference)}", per_credential, RATE_WINDOW_SECONDS),
            Window(f"api:address:{tenant.pk}:{address}", per_address, RATE_WINDOW_SECONDS),
        ]
    windows = [Window(f"api:address:-:{address}", settings.API_RATE_LIMIT_PER_IP_PER_MINUTE, RATE_WINDOW_SECONDS)]
    if reference:
        key = f"api:credential:-:{_digest(reference)}"
        windows.insert(0, Window(key, settings.API_RATE_LIMIT_PER_MINUTE, RATE_WINDOW_SECONDS))
    return windows


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]


class RequestRateThrottle(BaseThrottle):
    """DRF's throttle step (after authentication and permissions) of every API view: charges the request's
    budgets in one round trip, leaves the tightest for the ``RateLimit-*`` headers, and refuses with 429
    ``RATE_LIMITED`` + ``Retry-After`` beyond any of them."""

    def allow_request(self, request, view) -> bool:
        charge = window_charge(request_windows(request))
        setattr(request._request, RATE_STATE_ATTRIBUTE, charge.tightest)
        if charge.refused:
            limit = charge.tightest.limit
            raise rate_limited(
                "Too many requests; retry later.",
                charge.retry_after,
                [f"at most {limit} requests per {RATE_WINDOW_SECONDS} seconds for this credential or address"],
            )
        return True


def rate_limit_headers(state: WindowState) -> dict[str, str]:
    """The IETF draft's (draft-ietf-httpapi-ratelimit-headers) three fields for a budget's state."""
    return {
        "RateLimit-Limit": str(state.limit),
        "RateLimit-Remaining": str(state.remaining),
        "RateLimit-Reset": str(state.reset),
    }
