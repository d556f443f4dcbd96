"""The served docs read like the product: the contract's words, typed request bodies, real error examples."""

import json
import re
from functools import cache

import pytest
from drf_spectacular.generators import SchemaGenerator

from ringnity.api.errors import ErrorCode
from ringnity.api.schema_docs import contract_operations

#: Signs of a Python docstring in an operation's text: reST roles/literals, ``self.``, Args sections.
DOCSTRING_MARKERS = re.compile(r"``|:(?:class|func|meth|attr|mod|data|ref):`|\bself\.|\bArgs:|\bReturns:")
TYPE_KEYS = {"type", "$ref", "enum", "const", "oneOf", "anyOf", "allOf"}
METHODS = {"get", "post", "put", "patch", "delete"}


@cache
def _schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations():
    for path, item in _schema()["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = _schema()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _untyped(schema: dict, where: str, depth: int = 0) -> list[str]:
    """Request fields documented as "any value": no type, or an any-member in a oneOf/anyOf."""
    if depth > 6:
        return []
    schema = _resolve(schema)
    alternatives = schema.get("oneOf") or schema.get("anyOf")
    if alternatives:
        found = []
        for alternative in alternatives:
            if not TYPE_KEYS & set(alternative):
                found.append(where)
            else:
                found += _untyped(alternative, where, depth + 1)
        return found
    if not TYPE_KEYS & set(schema):
        return [where]
    found = []
    for name, prop in schema.get("properties", {}).items():
        if not prop.get("readOnly"):
            found += _untyped(prop, f"{where}.{name}", depth + 1)
    if schema.get("type") == "array" or "items" in schema:
        found += _untyped(schema.get("items", {}), f"{where}[]", depth + 1)
    return found


def test_every_operation_reads_the_contract_summary_and_description():
    contract = contract_operations()
    wrong = []
    for _, _, operation in _operations():
        expected = contract.get(operation["operationId"])
        assert expected is not None or operation.get("summary"), f"{operation['operationId']}: no docs anywhere"
        if expected is None:
            continue
        got = (operation.get("summary"), operation.get("description"))
        if got != (expected.get("summary"), expected.get("description")):
            wrong.append((operation["operationId"], got))
    assert wrong == []


def test_no_operation_text_comes_from_a_docstring():
    leaked = [
        (operation["operationId"], text[:80])
        for _, _, operation in _operations()
        for text in (operation.get("summary", ""), operation.get("description", ""))
        if DOCSTRING_MARKERS.search(text)
    ]
    assert leaked == []


def test_no_component_is_described_by_a_serializer_docstring():
    described = {
        name: schema["description"]
        for name, schema in _schema()["components"]["schemas"].items()
        if schema.get("type") == "object" and schema.get("description")
    }
    assert not {name: text for name, text in described.items() if DOCSTRING_MARKERS.search(text)}
    assert "ServerCredentialCreateInputRequest" not in described


def test_every_request_body_field_is_typed():
    untyped = []
    for _, _, operation in _operations():
        for media in operation.get("requestBody", {}).get("content", {}).values():
            if "schema" in media:
                untyped += _untyped(media["schema"], operation["operationId"])
    assert untyped == []


def test_each_error_status_lists_its_codes_with_one_realistic_example_each():
    known = {code.value for code in ErrorCode}
    for _, _, operation in _operations():
        for status, response in operation["responses"].items():
            examples = response.get("content", {}).get("application/json", {}).get("examples", {})
            if status[0] not in "45" or status == "4XX":
                continue
            assert examples, f"{operation['operationId']} {status}: no example"
            for code, example in examples.items():
                value = example["value"]
                assert code in known
                assert value["success"] is False
                assert value["code"] == code
                assert value["message"]
                assert value["message"] != code


@pytest.mark.parametrize(
    ("operation_id", "status", "code"),
    [
        ("upsertContact", "401", "SERVER_API_KEY_INVALID"),
        ("upsertContact", "403", "SERVER_API_SCOPE_DENIED"),
        ("upsertContact", "403", "FEATURE_NOT_AVAILABLE"),
        ("upsertContact", "400", "SERVER_CONTACT_VALIDATION_FAILED"),
        ("upsertContact", "413", "PAYLOAD_TOO_LARGE"),
        ("createRuntimeSession", "403", "SDK_ORIGIN_NOT_ALLOWED"),
        ("loginOwner", "401", "AUTH_INVALID_CREDENTIALS"),
        # Raised two calls below an @transaction.atomic service: the plan's key quota.
        ("createServerApiCredential", "400", "QUOTA_EXCEEDED"),
    ],
)
def test_operations_document_the_errors_their_code_raises(operation_id, status, code):
    operation = next(op for _, _, op in _operations() if op["operationId"] == operation_id)
    examples = operation["responses"][status]["content"]["application/json"]["examples"]
    assert code in examples


def test_the_served_schema_names_no_internal_docstring(client):
    body = client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "self.tenant" not in body
    assert "self.cors_domains" not in body
    assert json.loads(body)["paths"]


def test_an_error_without_its_own_example_never_shows_an_unrelated_code():
    envelope = _schema()["components"]["schemas"]["ErrorEnvelope"]
    assert envelope["example"]["code"] == "VALIDATION_FAILED"
    health = next(op for _, _, op in _operations() if op["operationId"] == "getRuntimeHealth")
    shown = json.dumps(health["responses"])
    assert "SDK_CLIENT_NOT_FOUND" not in shown


#: A message template: ``{key}``, ``{', '.join(sorted(allowed))}``, ``{capability['label']}``.
TEMPLATE = re.compile(r"\{[^{}]*\}")


def _example_strings(node, where: str, inside_example: bool = False):
    """Every string under an ``example``/``examples`` key of the schema, with where it is."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _example_strings(value, f"{where}/{key}", inside_example or key in {"example", "examples"})
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _example_strings(value, f"{where}[{index}]", inside_example)
    elif isinstance(node, str) and inside_example:
        yield where, node


def test_no_example_shows_a_message_template():
    templates = [f"{where}: {text}" for where, text in _example_strings(_schema(), "") if TEMPLATE.search(text)]
    assert templates == []


def test_error_examples_show_the_values_a_real_answer_carries():
    """The f-string names read as the example values (``schema_docs.EXAMPLE_VALUES``) and module constants."""
    by_id = {op["operationId"]: op for _, _, op in _operations()}

    def example(operation_id: str, status: str, code: str) -> dict:
        return by_id[operation_id]["responses"][status]["content"]["application/json"]["examples"][code]["value"]

    # The key is the caller's: require_quota("contacts", ...), require_feature(self.required_feature).
    quota = example("upsertContact", "400", "QUOTA_EXCEEDED")
    assert quota["message"].startswith("The 'starter' plan allows at most 3 contacts.")
    assert quota["details"] == ["contacts: the plan allows at most 3"]
    feature = example("upsertContact", "403", "FEATURE_NOT_AVAILABLE")
    assert feature["message"] == "The feature 'server_api' is not available on the current plan."
    assert feature["details"] == ["server_api: not included in plan 'starter'"]
    # A module constant: the limit the code really enforces.
    too_long = example("createVisitorChatSession", "401", "SDK_SESSION_REQUIRED")
    assert "X-Ringnity-Tenant" in too_long["message"]
