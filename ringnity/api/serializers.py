"""Base classes for request serializers: strict JSON types for bodies, plain strings for queries.

DRF coerces quietly: a ``CharField`` turns ``1e400`` into ``"inf"`` and ``true`` into ``"True"``, an
``IntegerField`` accepts ``"12"``, a ``BooleanField`` accepts ``"yes"`` and ``0``. The contract says
``type: string`` / ``integer`` / ``boolean``, so a JSON body with another type is a client bug we
report, not guess at. ``InputSerializer`` checks the JSON type of every value against its field's class
before DRF's own validation runs, recursively through nested serializers, ``ListField`` children and
``DictField`` values, and lists every mistyped field in one 400 together with DRF's other errors.

Every serializer that validates a JSON request body subclasses ``InputSerializer``; every serializer
that validates query parameters (always strings on the wire) subclasses ``QuerySerializer``.
``ringnity/tests/test_input_serializers.py`` walks the served views and enforces both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers
from rest_framework.fields import empty

#: A JSON value's type as a client would name it.
_NUMBER, _STRING, _BOOLEAN, _ARRAY, _OBJECT = "number", "string", "boolean", "array", "object"


def json_type(value: Any) -> str:
    """``"string"``, ``"number"``, ``"boolean"``, ``"array"``, ``"object"`` or ``"null"`` (JSON's names)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return _BOOLEAN
    if isinstance(value, (int, float)):
        return _NUMBER
    if isinstance(value, str):
        return _STRING
    if isinstance(value, (list, tuple)):
        return _ARRAY
    if isinstance(value, Mapping):
        return _OBJECT
    return type(value).__name__


def _choice_type(field: serializers.ChoiceField) -> str | None:
    """The one JSON type of a choice field's keys, or None when mixed (then DRF's own check decides)."""
    kinds = {
        "integer" if json_type(key) == _NUMBER and isinstance(key, int) else json_type(key) for key in field.choices
    }
    return kinds.pop() if len(kinds) == 1 else None


def expected_type(field: serializers.Field) -> str | None:
    """The JSON type a field accepts, from its class; None for fields that accept any JSON (``JSONField``)."""
    if isinstance(field, (serializers.ListSerializer, serializers.ListField, serializers.MultipleChoiceField)):
        return _ARRAY
    if isinstance(field, (serializers.Serializer, serializers.DictField)):
        return _OBJECT
    if isinstance(field, serializers.BooleanField):
        return _BOOLEAN
    if isinstance(field, serializers.IntegerField):
        return "integer"
    if isinstance(field, (serializers.FloatField, serializers.DecimalField)):
        return _NUMBER
    if isinstance(field, serializers.ChoiceField):
        return _choice_type(field)
    if isinstance(
        field,
        (
            serializers.CharField,
            serializers.UUIDField,
            serializers.DateTimeField,
            serializers.DateField,
            serializers.TimeField,
            serializers.DurationField,
        ),
    ):
        return _STRING
    return None


def _matches(expected: str, value: Any) -> bool:
    actual = json_type(value)
    if expected == "integer":
        # JSON has one number type; 3.0 is an integer value, 3.5 is not (DRF reports that one itself).
        return actual == _NUMBER
    return actual == expected


def _article(kind: str) -> str:
    return "an" if kind[0] in "aeiou" else "a"


def type_errors(field: serializers.Field, value: Any) -> Any:
    """DRF-shaped errors (list, or dict keyed by name/index) for values of the wrong JSON type, else None."""
    if value is None or value is empty:
        return None  # null is allow_null's business; a missing value is required's.
    expected = expected_type(field)
    if expected is not None and not _matches(expected, value):
        actual = json_type(value)
        return [f"Must be {_article(expected)} {expected}, not {_article(actual)} {actual}."]
    if isinstance(field, serializers.ListSerializer):
        return _items_errors(field.child, value)
    if isinstance(field, serializers.ListField):
        return _items_errors(field.child, value)
    if isinstance(field, serializers.DictField):
        errors = {key: err for key, item in value.items() if (err := type_errors(field.child, item))}
        return errors or None
    if isinstance(field, serializers.Serializer):
        return serializer_type_errors(field, value)
    return None


def _items_errors(child: serializers.Field, items) -> dict | None:
    errors = {index: err for index, item in enumerate(items) if (err := type_errors(child, item))}
    return errors or None


def serializer_type_errors(serializer: serializers.Serializer, data: Mapping) -> dict | None:
    """Type errors of each writable field of ``serializer`` present in ``data``, keyed by field name."""
    errors = {}
    for field in serializer.fields.values():
        if field.read_only or field.field_name not in data:
            continue
        if error := type_errors(field, data[field.field_name]):
            errors[field.field_name] = error
    return errors or None


def merge_errors(drf_errors, type_errors_):
    """DRF's errors with the type errors laid over them, key by key down nested dicts.

    Where a value has the wrong type DRF may have coerced it silently, so the type error wins;
    DRF's errors elsewhere (a ``null`` item, a missing required field) are kept.
    """
    if (
        isinstance(drf_errors, list)
        and isinstance(type_errors_, dict)
        and all(isinstance(k, int) for k in type_errors_)
    ):
        # A ListSerializer reports one entry per item ({} for a good one); key it by index like ours.
        drf_errors = {index: error for index, error in enumerate(drf_errors) if error}
    if not isinstance(drf_errors, dict) or not isinstance(type_errors_, dict):
        return type_errors_
    merged = dict(drf_errors)
    for key, error in type_errors_.items():
        merged[key] = merge_errors(drf_errors[key], error) if key in drf_errors else error
    return merged


class InputSerializer(serializers.Serializer):
    """A JSON request body: values must have the JSON type their field declares (no coercion).

    ``{"name": 1e400}`` for a ``CharField`` is ``name: Must be a string, not a number.``, never the
    string ``"inf"``; ``"12"`` for an ``IntegerField`` and ``"true"`` or ``1`` for a ``BooleanField``
    are refused the same way. ``JSONField`` accepts any JSON value, as it says. Fields whose class is
    not a JSON scalar/container (custom fields) keep DRF's own checks.
    """

    def to_internal_value(self, data):
        mistyped = serializer_type_errors(self, data) if isinstance(data, Mapping) else None
        if not mistyped:
            return super().to_internal_value(data)
        try:
            super().to_internal_value(data)
        except serializers.ValidationError as exc:
            # Keep DRF's errors for the other fields, so one answer lists every bad field.
            others = exc.detail if isinstance(exc.detail, dict) else {}
            raise serializers.ValidationError(merge_errors(others, mistyped)) from exc
        raise serializers.ValidationError(mistyped)


class QuerySerializer(serializers.Serializer):
    """Query parameters: every value arrives as a string, so DRF's string→number/boolean parsing is right.

    Kept a separate base (rather than a plain ``Serializer``) so that a test can tell a query
    serializer from a body serializer that forgot to be strict.

    One HTML-form rule of DRF does not hold for a query: DRF reads an empty value of an optional
    field (``?period=``) as "not sent" and applies the default. ``period=`` is a value outside the
    contract's enum, ``limit=`` is not an integer: each is validated as sent (fields that allow
    blank still accept it). Repeated parameters reach list fields as lists, others keep the last value.
    """

    def to_internal_value(self, data):
        if hasattr(data, "getlist"):
            data = {
                key: data.getlist(key) if isinstance(self.fields.get(key), serializers.ListField) else data.get(key)
                for key in data
            }
        return super().to_internal_value(data)
