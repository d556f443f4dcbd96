"""Signals this app sends for the layers above it (they connect; this app imports none of them),
and the receivers that keep the Server API key cache honest (connected in ``DeveloperConfig.ready``).
"""

from django.dispatch import Signal

from apps.developer.authentication import server_key_cache_invalidate

#: Sent with ``tenant_pk`` after a bulk write of allowed domains or service toggles (bulk writes send no
#: ``post_save``); the runtime app drops its cached SDK bootstrap.
developer_settings_changed = Signal()


def server_key_or_tenant_changed(sender, **kwargs) -> None:
    """A Server API key saved or deleted, or a tenant saved (``is_active``): cached key lookups end."""
    server_key_cache_invalidate()
