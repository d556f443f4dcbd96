"""Output serializers: the one shape of each entity, wherever it leaves the process.

Each entity has one ``OutputSerializer`` subclass in its app's ``api/outputs.py``. The same class
renders the API response, the webhook event's ``data`` (registered with the webhook catalog) and
the realtime event, and the schema generator reads it, so the docs describe what is sent.

Two rules hold for every output:

* **Times** are UTC, ISO 8601 with a ``Z`` (``2026-11-28T09:30:00.123456Z``): ``UTCDateTimeField``
  in a serializer, ``iso_utc(value)`` for the rare time rendered outside one. It does not depend on
  the active time zone.
* **Optional fields are omitted, not null.** A field declared ``required=False`` is left out when its
  value is ``None`` or ``""`` (the contract types such fields ``string``, not nullable, and the
  generated schema lists them as not required). A field that may be null says ``allow_null=True``
  and is always present.
"""

from __future__ import annotations

from datetime import UTC, datetime

from rest_framework import ISO_8601, serializers

_EMPTY = (None, "")


class UTCDateTimeField(serializers.DateTimeField):
    """A time as UTC ISO 8601 with ``Z``, whatever time zone is active."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("default_timezone", UTC)
        super().__init__(format=ISO_8601, **kwargs)


_UTC = UTCDateTimeField()


def iso_utc(value: datetime | None) -> str | None:
    """``value`` in the one time format of every output (None stays None)."""
    return None if value is None else _UTC.to_representation(value)


class OutputSerializer(serializers.Serializer):
    """Renders an entity: optional fields (``required=False``) are omitted when empty."""

    def to_representation(self, instance):
        data = super().to_representation(instance)
        for name, field in self.fields.items():
            if not field.required and not field.read_only and not field.allow_null and data.get(name) in _EMPTY:
                data.pop(name, None)
        return data
