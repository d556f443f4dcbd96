"""Signals this app sends for the layers above it (they connect; this app imports none of them)."""

from django.dispatch import Signal

#: Sent with ``tenant_pk`` after a bulk write of allowed domains or service toggles (bulk writes send no
#: ``post_save``); the runtime app drops its cached SDK bootstrap.
developer_settings_changed = Signal()
