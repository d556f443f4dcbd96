"""Input fields shared by every app's Input serializers.

String fields need nothing extra: DRF's ``CharField`` already refuses NUL and lone surrogates,
which PostgreSQL cannot store. A free-form JSON object can hold them anywhere inside, and numbers
like ``1e400`` (parsed to infinity, which ``jsonb`` refuses): ``StorableJSONObjectField`` checks it
with ``ringnity.api.storable`` and bounds its size, so such input is a 400 naming the field, never
a database error.
"""

import json

from rest_framework import serializers

from ringnity.api.storable import json_storage_problem


class StorableJSONObjectField(serializers.DictField):
    """A JSON object ``jsonb`` can store: at most ``max_depth`` levels and ``max_bytes`` of JSON."""

    def __init__(self, *, max_bytes: int = 4096, max_depth: int = 10, **kwargs) -> None:
        self.max_bytes = max_bytes
        self.max_depth = max_depth
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        problem = json_storage_problem(value, max_depth=self.max_depth)
        if problem:
            raise serializers.ValidationError(problem)
        if len(json.dumps(value)) > self.max_bytes:
            raise serializers.ValidationError(f"at most {self.max_bytes} bytes of JSON.")
        return value
