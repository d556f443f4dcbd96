"""One budget of anonymous visitor starts per client address and tenant.

Every way a caller without a vouched identity gets a fresh visitor who can start a conversation
draws on it: ``POST /sdk/session`` without a ``contextToken`` (each call mints a new visitor
identity) and the chat's tenant-header session and conversation starts
(``apps.chat.visitor_services``). At most ``CHAT_ANONYMOUS_STARTS_PER_IP`` (setting, default 60)
per ``WINDOW_SECONDS`` per address and tenant, counted in a fixed window in the shared cache;
beyond it 429 ``RATE_LIMITED`` with ``Retry-After`` (the seconds until the window ends), and
nothing is created. Not a start: a visitor the tenant's backend vouched for (a context token
names one stable visitor) and a visitor coming back with its own runtime or chat session token.
"""

from django.conf import settings

from ringnity.api.throttling import Window, rate_limited, window_charge

WINDOW_SECONDS = 600


def anonymous_start_charge(*, tenant, address: str) -> None:
    """Counts one anonymous start of ``address`` for ``tenant``; 429 when the budget is used up."""
    window = Window(f"visitor-start:{tenant.pk}:{address}", settings.CHAT_ANONYMOUS_STARTS_PER_IP, WINDOW_SECONDS)
    charge = window_charge([window])
    if charge.refused:
        raise rate_limited("Too many new chat visitors from this address; retry later.", charge.retry_after)
