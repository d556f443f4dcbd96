"""Signals this app sends for the layers above it (they connect; this app imports none of them),
and the receivers that keep the Server API key cache honest (connected in ``DeveloperConfig.ready``).
"""

from django.dispatch import Signal

from apps.developer.authentication import server_key_cache_invalidate

#: Sent with ``tenant_pk`` after a bulk write of allowed domains or service toggles (bulk writes send no
#: ``post_save``); the runtime app drops its cached SDK bootstrap.
developer_settings_changed = Signal()


def server_key_or_tenant_changed(sender, created: bool = False, **kwargs) -> None:
    """A Server API key changed or deleted, or a tenant changed (``is_active``): cached key lookups end.

    A new row changes no cached answer (a new secret was never looked up), so creation bumps nothing.
    """
    if not created:
        server_key_cache_invalidate()
