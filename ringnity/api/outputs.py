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

import copy
import types
from collections.abc import Mapping
from datetime import UTC, datetime

from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone
from django.utils.functional import cached_property
from rest_framework import ISO_8601, serializers
from rest_framework.fields import empty

_EMPTY = (None, "")
_CALLED = (types.MethodType, types.FunctionType)


class UTCDateTimeField(serializers.DateTimeField):
    """A time as UTC ISO 8601 with ``Z``, whatever time zone is active."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("default_timezone", UTC)
        super().__init__(format=ISO_8601, **kwargs)

    def to_representation(self, value):
        if not value or isinstance(value, str):
            return value or None
        offset = value.utcoffset()
        if offset is None:
            value = timezone.make_aware(value, UTC)
        elif offset:
            value = value.astimezone(UTC)
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text


_UTC = UTCDateTimeField()


def iso_utc(value: datetime | None) -> str | None:
    """``value`` in the one time format of every output (None stays None)."""
    return None if value is None else _UTC.to_representation(value)


class BlankAsNullCharField(serializers.CharField):
    """A text column stored blank, sent as ``null`` (the contract's nullable strings)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(allow_null=True, **kwargs)

    def to_representation(self, value):
        return super().to_representation(value) or None


def _value(instance, attrs: list[str]):
    """DRF's attribute lookup (keys of a mapping, attributes, a method called), without its per-call cost."""
    for attr in attrs:
        if type(instance) is dict or isinstance(instance, Mapping):
            instance = instance[attr]
        else:
            instance = getattr(instance, attr)
    return instance() if isinstance(instance, _CALLED) else instance


class OutputSerializer(serializers.Serializer):
    """Renders an entity: optional fields (``required=False``) are omitted when empty.

    Rendering is DRF's (sources, nested serializers, method fields, ``None`` as ``null``) on a plan
    made once per serializer instance, so a page of rows pays for its fields once, not per row.
    """

    def get_fields(self):
        # Output fields are never validated: a shallow copy of each declared field is enough (DRF deep-copies,
        # re-running every field's __init__ per response); nested serializers still get their own copy.
        return {
            name: copy.deepcopy(field) if isinstance(field, serializers.BaseSerializer) else copy.copy(field)
            for name, field in self._declared_fields.items()
        }

    @cached_property
    def _plan(self) -> list[tuple]:
        """Per readable field: name, its one-level source (or None), the full source path, the field, and
        whether it is omitted when empty."""
        return [
            (
                field.field_name,
                field.source_attrs[0] if len(field.source_attrs) == 1 else None,
                field.source_attrs,
                field,
                not field.required and not field.read_only and not field.allow_null,
            )
            for field in self._readable_fields
        ]

    def to_representation(self, instance):
        data = {}
        row = type(instance) is dict
        for name, attr, attrs, field, optional in self._plan:
            try:
                value = instance[attr] if row and attr is not None else _value(instance, attrs)
            except ObjectDoesNotExist:
                value = None
            except (KeyError, AttributeError):
                if field.default is not empty:
                    value = field.get_default()
                elif field.allow_null:
                    value = None
                elif not field.required:
                    continue
                else:
                    raise
            if value is not None:
                value = field.to_representation(value)
            if not (optional and value in _EMPTY):
                data[name] = value
        return data


def result(component: str, **fields: serializers.Field) -> type[OutputSerializer]:
    """A response body made of entity outputs (``{"conversation": ..., "messages": [...]}``), published as
    the schema component ``component``; ``Body(instance_or_dict).data`` renders it."""
    return type(component, (OutputSerializer,), {**fields, "Meta": type("Meta", (), {"ref_name": component})})
