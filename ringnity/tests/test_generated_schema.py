"""The schema the server serves is whole: every ``$ref`` resolves (every response is also validated
against it by ``assert_contract``, see ``ringnity.testing.contract.generated_document``)."""

from ringnity.testing.contract import generated_document


def _refs(node) -> set[str]:
    found, stack = set(), [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("$ref"), str):
                found.add(item["$ref"])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def test_every_reference_in_the_generated_schema_resolves():
    spec = generated_document().spec
    schemas = spec["components"]["schemas"]
    dangling = sorted(ref for ref in _refs(spec) if ref.startswith("#/components/schemas/") and ref[21:] not in schemas)
    assert dangling == []


def test_the_generated_schema_names_each_served_operation_once():
    operations = generated_document().operations
    assert len(operations) == sum(
        1 for item in generated_document().spec["paths"].values() for op in item.values() if "operationId" in op
    )
