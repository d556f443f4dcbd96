"""Validate realtime frames against the AsyncAPI document (docs/contract/ringnity-realtime.asyncapi.yaml).

``assert_server_frame(frame)`` finds the server message whose payload ``type`` matches and validates the
frame against its payload schema (AsyncAPI schemas are JSON Schema draft 7). A durable event frame is
also validated, without its ``cursor``, against the webhook body the server's generated OpenAPI schema
documents for that event type (the ``createWebhook`` callbacks): one shape per entity, for webhooks and
the gateway alike. The realtime tests' client calls it on every frame it receives.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from jsonschema import Draft7Validator, Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT7

from ringnity.testing.contract import generated_document

ASYNCAPI_PATH = Path(__file__).resolve().parents[2] / "docs" / "contract" / "ringnity-realtime.asyncapi.yaml"
ASYNCAPI_URI = "urn:ringnity:realtime"


@lru_cache(maxsize=1)
def load_asyncapi() -> dict:
    return yaml.safe_load(ASYNCAPI_PATH.read_text())


def _resolve(document: dict, ref: str) -> tuple[dict, str]:
    """The node a local ``$ref`` names, and its pointer (references to references are followed)."""
    node, pointer = {"$ref": ref}, ref
    while "$ref" in node:
        pointer = node["$ref"]
        node = document
        for part in pointer.removeprefix("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node, pointer


def _types(payload: dict) -> list[str]:
    spec = payload["properties"]["type"]
    return [spec["const"]] if "const" in spec else list(spec["enum"])


@lru_cache(maxsize=2)
def message_index(operation: str) -> dict[str, str]:
    """Frame ``type`` -> JSON pointer of the payload of the message an operation lists."""
    document = load_asyncapi()
    index = {}
    for reference in document["operations"][operation]["messages"]:
        message, pointer = _resolve(document, reference["$ref"])
        for frame_type in _types(message["payload"]):
            assert frame_type not in index, f"two {operation} messages have type {frame_type}"
            index[frame_type] = pointer + "/payload"
    return index


@lru_cache(maxsize=1)
def _registry() -> Registry:
    return Registry().with_resource(ASYNCAPI_URI, DRAFT7.create_resource(load_asyncapi()))


def validate_frame(frame: dict, operation: str) -> None:
    index = message_index(operation)
    assert isinstance(frame, dict), f"a frame is a JSON object, not {frame!r}"
    assert frame.get("type") in index, f"{frame.get('type')!r} is not a frame of {operation} in the AsyncAPI document"
    validator = Draft7Validator({"$ref": f"{ASYNCAPI_URI}{index[frame['type']]}"}, registry=_registry())
    errors = sorted(validator.iter_errors(frame), key=lambda error: list(error.absolute_path))
    if errors:
        lines = [f"  at {'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors[:20]]
        raise AssertionError(f"{frame['type']} frame does not match the AsyncAPI document:\n" + "\n".join(lines))


def _pointer(*parts: str) -> str:
    return "#/" + "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


@lru_cache(maxsize=1)
def webhook_body_schemas() -> dict[str, str]:
    """Event type -> JSON pointer of its webhook body schema in the generated OpenAPI document."""
    found = {}
    for path, item in generated_document().spec["paths"].items():
        for method, operation in item.items():
            callbacks = operation.get("callbacks") if isinstance(operation, dict) else None
            for name, callback in (callbacks or {}).items():
                for expression in callback:
                    body = ("post", "requestBody", "content", "application/json", "schema")
                    found.setdefault(name, _pointer("paths", path, method, "callbacks", name, expression, *body))
    return found


def validate_durable_data(frame: dict) -> None:
    document = generated_document()
    pointer = webhook_body_schemas().get(frame["type"])
    assert pointer is not None, f"{frame['type']} has no webhook body in the generated schema"
    body = {key: value for key, value in frame.items() if key != "cursor"}
    validator = Draft202012Validator({"$ref": f"{document.uri}{pointer}"}, registry=document.registry)
    errors = sorted(validator.iter_errors(body), key=lambda error: list(error.absolute_path))
    if errors:
        lines = [f"  at {'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors[:20]]
        raise AssertionError(f"{frame['type']} frame's body is not its webhook body:\n" + "\n".join(lines))


def assert_server_frame(frame: dict) -> dict:
    """Validates a frame the server sent; returns it."""
    validate_frame(frame, "sendServerFrames")
    if "cursor" in frame and "data" in frame:
        validate_durable_data(frame)
    return frame


def assert_client_frame(frame: dict) -> dict:
    """Validates a frame a test sends (so the tests speak the documented protocol too)."""
    validate_frame(frame, "receiveClientFrames")
    return frame
