"""Every served operation validates JSON bodies with an ``InputSerializer`` and queries with a ``QuerySerializer``.

The walk goes through the URL resolver (drf-spectacular's endpoint enumerator, so exactly the
operations the schema publishes) and reads each operation's declared request body and parameters.
A second check covers serializers that views run without declaring them (``validate_input``):
every ``*Input`` class of an ``api`` module must be strict, every ``*Query`` class a query serializer.
"""

import inspect
import sys

import pytest
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import OpenApiRequest
from rest_framework import serializers

from ringnity.api.serializers import InputSerializer, QuerySerializer


def _served_operations():
    generator = SchemaGenerator()
    generator._initialise_endpoints()
    for path, _regex, method, view in generator._get_paths_and_endpoints():
        view.schema.method = method.upper()
        view.schema.path = path
        yield f"{method} {path}", view


def _serializer_classes(declared) -> list[type]:
    """The serializer classes inside an extend_schema ``request=``/``parameters=`` value."""
    if declared is None:
        return []
    if isinstance(declared, OpenApiRequest):
        return _serializer_classes(declared.request)
    if isinstance(declared, dict):
        return [cls for value in declared.values() for cls in _serializer_classes(value)]
    if isinstance(declared, (list, tuple)):
        return [cls for value in declared for cls in _serializer_classes(value)]
    if isinstance(declared, serializers.ListSerializer):
        return _serializer_classes(declared.child)
    if isinstance(declared, serializers.BaseSerializer):
        return [type(declared)]
    if inspect.isclass(declared) and issubclass(declared, serializers.BaseSerializer):
        return [declared]
    return []


def _label(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


@pytest.fixture(scope="module")
def operations():
    return list(_served_operations())


def test_every_request_body_serializer_of_a_served_operation_is_strict(operations):
    offenders = set()
    for operation, view in operations:
        for cls in _serializer_classes(view.schema.get_request_serializer()):
            if not issubclass(cls, InputSerializer):
                offenders.add(f"{operation}: {_label(cls)}")
    assert not offenders, "request bodies must subclass ringnity.api.serializers.InputSerializer"


def test_every_query_serializer_of_a_served_operation_is_a_query_serializer(operations):
    offenders = set()
    for operation, view in operations:
        for cls in _serializer_classes(view.schema.get_override_parameters()):
            if not issubclass(cls, QuerySerializer):
                offenders.add(f"{operation}: {_label(cls)}")
    assert not offenders, sorted(offenders)


def _api_serializers():
    """Serializer classes defined in the ``api`` modules of the project's apps (loaded by the URLconf)."""
    for name, module in list(sys.modules.items()):
        if not (name.startswith(("apps.", "ringnity.")) and ".api." in name) or ".tests" in name:
            continue
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if obj.__module__ == name and issubclass(obj, serializers.BaseSerializer):
                yield obj


def test_input_and_query_serializers_of_api_modules_use_their_base(operations):
    offenders = set()
    for cls in _api_serializers():
        if cls.__name__.endswith("Input") and not issubclass(cls, InputSerializer):
            offenders.add(f"{_label(cls)} is named Input but is not an InputSerializer")
        if cls.__name__.endswith("Query") and not issubclass(cls, QuerySerializer):
            offenders.add(f"{_label(cls)} is named Query but is not a QuerySerializer")
    assert not offenders, sorted(offenders)


def test_the_walk_sees_the_served_operations(operations):
    assert len(operations) >= 40
    assert any(op.startswith("POST /api/server/contacts") for op, _ in operations)
