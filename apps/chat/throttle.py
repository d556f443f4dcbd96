"""A cap on anonymous visitor creation per client IP (the tenant-header-only starts).

Every anonymous session or conversation start creates a visitor row and a chat session, so a
script could fill a tenant's tables from one address. At most ``CHAT_ANONYMOUS_STARTS_PER_IP``
(setting, default 60) per ``WINDOW_SECONDS`` per IP and tenant; beyond it 429 ``RATE_LIMITED``
with ``Retry-After``. Starts with a runtime or chat session token are not counted. The counter
is a fixed window in the shared cache (Redis in production).
"""

from django.conf import settings
from django.core.cache import cache

from ringnity.api.errors import ApiError, ErrorCode
from ringnity.api.throttling import client_ip

WINDOW_SECONDS = 600
DEFAULT_LIMIT = 60


def anonymous_start_allow(*, request, tenant) -> None:
    limit = getattr(settings, "CHAT_ANONYMOUS_STARTS_PER_IP", DEFAULT_LIMIT)
    key = f"chat:anon-start:{tenant.pk}:{client_ip(request)}"
    cache.add(key, 0, timeout=WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=WINDOW_SECONDS)
        count = 1
    if count > limit:
        raise ApiError(
            ErrorCode.RATE_LIMITED,
            "Too many new chat visitors from this address; retry later.",
            status=429,
            headers={"Retry-After": str(WINDOW_SECONDS)},
        )
