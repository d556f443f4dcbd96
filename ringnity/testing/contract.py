"""Validate responses against the contract (docs/contract/ringnity-openapi.json).

Every API test calls ``assert_contract(response, "operationId")``: it checks
that the request hit that operation's method and path, that the status is one
the operation documents, and that the body validates against the documented
schema. Two documented adjustments are made to the contract before use:

* ``nullable: true`` (an OpenAPI 3.0 keyword the 3.1 contract still uses) is
  read as "or null", which is what its authors mean;
* the ``ErrorCode`` enum is extended with ``ringnity.api.errors.ADDITIONS``,
  our documented additions; nothing else is accepted;
* the ``OAuthError`` codes are extended with the protocol codes the contract lacks
  (``ringnity.api.errors.OAUTH_ADDITIONS``: RFC 6750's ``invalid_token``, ...), likewise documented.

An error status the operation does not list (401 on an operation that only
documents 200, say) is validated against ``ErrorEnvelope``: the contract
declares it as the shape of every error. An undocumented 2xx always fails.

Every response is then validated the same way against the schema the server generates
(``generated_document``), so the served docs can never disagree with what the server sends.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache, lru_cache
from pathlib import Path

from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from ringnity.api.errors import OAUTH_ERRORS, ErrorCode

CONTRACT_PATH = Path(__file__).resolve().parents[2] / "docs" / "contract" / "ringnity-openapi.json"
CONTRACT_URI = "urn:ringnity:contract"
GENERATED_URI = "urn:ringnity:generated"
METHODS = ("get", "post", "put", "patch", "delete")


def _read_nullable(node):
    if isinstance(node, dict):
        node = {key: _read_nullable(value) for key, value in node.items()}
        if node.pop("nullable", False) is True:
            if "type" in node:
                types = node["type"] if isinstance(node["type"], list) else [node["type"]]
                node["type"] = [*types, "null"] if "null" not in types else types
                if "enum" in node and None not in node["enum"]:
                    node["enum"] = [*node["enum"], None]
            else:
                node = {"anyOf": [node, {"type": "null"}]}
        return node
    if isinstance(node, list):
        return [_read_nullable(item) for item in node]
    return node


@lru_cache(maxsize=1)
def load_contract() -> dict:
    raw = json.loads(CONTRACT_PATH.read_text())
    contract = _read_nullable(copy.deepcopy(raw))
    contract["components"]["schemas"]["ErrorCode"]["enum"] = [code.value for code in ErrorCode]
    contract["components"]["schemas"]["OAuthError"]["properties"]["error"]["enum"] = list(OAUTH_ERRORS)
    contract["$id"] = CONTRACT_URI
    return contract


class OpenApiDocument:
    """One OpenAPI document to validate responses against: the contract, or the schema the server generates."""

    def __init__(self, spec: dict, uri: str, *, name: str, path_prefix: str) -> None:
        self.spec = {**spec, "$id": uri}
        self.uri = uri
        self.name = name
        self.path_prefix = path_prefix  # the contract's paths lack the server URL's /api
        self.registry = Registry().with_resource(uri, DRAFT202012.create_resource(self.spec))
        self.operations: dict[str, tuple[str, str, dict]] = {}
        for path, item in self.spec["paths"].items():
            for method in METHODS:
                if method in item and "operationId" in item[method]:
                    self.operations[item[method]["operationId"]] = (method.upper(), path, item[method])

    def _resolve(self, node: dict) -> dict:
        """Follows a local ``$ref`` (e.g. ``#/components/responses/ErrorResponse``)."""
        while "$ref" in node:
            target = self.spec
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
        return node

    def _schema_ref(self, response_obj: dict, location: tuple[str, ...]) -> str:
        """A JSON-pointer URI to the response's application/json schema, through a response ``$ref``."""
        if "$ref" in response_obj:
            location = tuple(part.replace("~1", "/") for part in response_obj["$ref"].removeprefix("#/").split("/"))
        return f"{self.uri}#/" + _pointer(*location, "content", "application/json", "schema")

    def validate_response(self, response, operation_id: str) -> dict | None:
        """Returns the decoded body; raises AssertionError naming every violation."""
        assert operation_id in self.operations, f"{operation_id} is not an operation of the {self.name}"
        method, path, operation = self.operations[operation_id]
        request = getattr(response, "request", None) or {}
        if request:
            assert request.get("REQUEST_METHOD", method) == method, (
                f"{operation_id} is {method}, the test sent {request.get('REQUEST_METHOD')}"
            )
            sent_path = request.get("PATH_INFO", "")
            assert _path_regex(self.path_prefix + path).match(sent_path), (
                f"{operation_id} is {path} in the {self.name}, the test sent {sent_path}"
            )

        status = response.status_code
        responses = operation.get("responses", {})
        key = _response_key(responses, status)
        if key is None:
            assert status >= 400, f"the {self.name} does not document status {status} for {operation_id}"
            schema_ref = f"{self.uri}#/components/schemas/ErrorEnvelope"
        else:
            response_spec = self._resolve(responses[key])
            content = response_spec.get("content")
            media = (content or {}).get("application/json") or {}
            if "schema" not in media:
                return _json_or_none(response)  # no JSON body documented for this answer
            schema_ref = self._schema_ref(responses[key], ("paths", path, method.lower(), "responses", key))
        body = json.loads(response.content or b"null")
        validator = Draft202012Validator({"$ref": schema_ref}, registry=self.registry)
        errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
        if errors:
            lines = [f"  at {'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors[:20]]
            raise AssertionError(
                f"{operation_id} {status} body does not match the {self.name}:\n"
                + "\n".join(lines)
                + f"\nbody: {json.dumps(body)[:2000]}"
            )
        return body


@lru_cache(maxsize=1)
def contract_document() -> OpenApiDocument:
    return OpenApiDocument(load_contract(), CONTRACT_URI, name="contract", path_prefix="/api")


@lru_cache(maxsize=1)
def generated_document() -> OpenApiDocument:
    """The schema the server generates and serves at /api/schema/ (built once per test process).

    Validating every response against it too means the served docs cannot disagree with the server.
    """
    # Imported on first use, not at module level: the root conftest imports this module before
    # Django's app registry is ready, and the generator walks every app's views.
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    schema = SchemaGenerator(urlconf="ringnity.urls").get_schema(request=None, public=True)
    spec = _read_nullable(json.loads(OpenApiJsonRenderer().render(schema)))
    return OpenApiDocument(spec, GENERATED_URI, name="generated schema", path_prefix="")


@cache
def operation_index() -> dict[str, tuple[str, str, dict]]:
    """operationId -> (METHOD, path, operation object) of the contract."""
    return contract_document().operations


def _pointer(*parts: str) -> str:
    return "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


def _path_regex(template: str) -> re.Pattern:
    pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
    return re.compile(rf"^{pattern}$")


def _response_key(responses: dict, status: int) -> str | None:
    if str(status) in responses:
        return str(status)
    family = f"{str(status)[0]}XX"
    if family in responses:
        return family
    return "default" if "default" in responses else None


def validate_response(response, operation_id: str) -> dict | None:
    """Validates against the contract; returns the decoded body."""
    return contract_document().validate_response(response, operation_id)


def _json_or_none(response):
    try:
        return json.loads(response.content or b"null")
    except ValueError:
        return None


def assert_contract(response, operation_id: str, status: int | None = None) -> dict | None:
    """Checks the expected status (when given), then the contract and the generated schema; returns the body.

    An extension operation (``x-ringnity-extension`` in the generated schema) is checked against the generated
    schema alone.
    """
    if status is not None:
        assert response.status_code == status, (
            f"{operation_id}: expected {status}, got {response.status_code}: {response.content[:1000]!r}"
        )
    generated = generated_document()
    if operation_id not in contract_document().operations:
        # A documented extension (an operation the issue asked for beyond the contract): the generated schema
        # is its only specification, and it must say it is an extension.
        assert operation_id in generated.operations, f"{operation_id} is in neither the contract nor the schema"
        assert generated.operations[operation_id][2].get("x-ringnity-extension") is True, (
            f"{operation_id} is not in the contract and not marked x-ringnity-extension in the generated schema"
        )
        return generated.validate_response(response, operation_id)
    body = validate_response(response, operation_id)
    generated.validate_response(response, operation_id)
    return body
