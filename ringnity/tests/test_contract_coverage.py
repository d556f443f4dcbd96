"""The generated schema serves the contract's operations: same method, path and operationId."""

import re
from pathlib import Path

from drf_spectacular.generators import SchemaGenerator

from ringnity.api.schema import ADDITIONAL_SECURITY_SCHEMES
from ringnity.testing.contract import load_contract

PENDING_FILE = Path(__file__).resolve().parents[2] / "docs" / "contract" / "pending-operations.txt"
METHODS = ("get", "post", "put", "patch", "delete")


def _norm(path: str) -> str:
    path = re.sub(r"^/api(?=/)", "", path)
    return re.sub(r"\{[^}]+\}", "{}", path).rstrip("/") or "/"


def _operations(doc: dict) -> dict[tuple[str, str], str]:
    return {
        (method.upper(), _norm(path)): item[method].get("operationId")
        for path, item in doc["paths"].items()
        for method in METHODS
        if method in item
    }


def _pending() -> set[str]:
    lines = PENDING_FILE.read_text().splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def _generated() -> dict[tuple[str, str], str]:
    return _operations(SchemaGenerator().get_schema(request=None, public=True))


def test_every_served_operation_matches_the_contract_and_pending_ones_are_listed():
    contract, generated, pending = _operations(load_contract()), _generated(), _pending()
    problems = []
    for key, operation_id in contract.items():
        served = generated.get(key)
        if operation_id in pending:
            if served is not None:
                problems.append(f"{operation_id} is served now: remove it from pending-operations.txt")
        elif served is None:
            problems.append(f"{operation_id} ({key[0]} {key[1]}) is not served and not listed as pending")
        elif served != operation_id:
            problems.append(f"{key[0]} {key[1]} has operationId {served!r}, contract says {operation_id!r}")
    assert not problems, "\n".join(problems)


def test_pending_list_names_only_contract_operations():
    assert _pending() <= set(_operations(load_contract()).values())


#: Operations beyond the contract that an issue asked for, each documented in the generated schema.
EXTENSIONS = {
    "rateVisitorConversation",  # issue 13: a visitor rates a closed conversation (satisfaction)
    "getHealthLive",  # issue 21: liveness for process supervisors
    "getHealthReady",  # issue 21: readiness (database, migrations, Redis, broker) for load balancers
    "endAiVisitorRealtimeCall",  # issue 18: a visitor ends its AI voice call, metered once
    "listAgentConversationAiDrafts",  # issue 18: ai_assisted drafts a reply for the agents
    "getDeveloperAiRouting",  # issue 18: the workspace owner reads the AI routing mode
    "updateDeveloperAiRouting",  # issue 18: the workspace owner turns the AI on
    "createWorkspaceAgentToken",  # issue 18: a workspace login exchanged for an agent runtime token
    "answerCallSession",  # issue 18: the callee picks up a started call (a call link's, say)
    "failCallSession",  # issue 18: a started call that never connected is missed or failed
    "handoffAiVisitorConversation",  # issue 20: the widget's "talk to a person" button
    "listAgentTeammates",  # issue 20: the inbox names whom a conversation may be transferred to
    "reopenAgentConversation",  # issue 20: the inbox reopens what it closed
    "getAgentConversationContact",  # issue 20: the inbox's contact panel
    "updateAgentConversationContact",  # issue 20: the inbox edits the contact (notes, tags)
    "listPlatformAuditLog",  # issue 22: operators read the audit log of privileged writes
    "listDeveloperAuditLog",  # issue 22: a tenant's owner and admins read their own tenant's audit log
}


def test_generated_schema_has_no_operation_outside_the_contract_but_the_documented_extensions():
    contract = _operations(load_contract())
    extra = sorted(
        f"{m} {p} ({op})" for (m, p), op in _generated().items() if (m, p) not in contract and op not in EXTENSIONS
    )
    assert not extra, f"operations outside the contract: {extra}"


def test_generated_schema_is_openapi_3_1_with_the_full_error_code_enum():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert schema["openapi"] == "3.1.0"
    contract_codes = set(load_contract()["components"]["schemas"]["ErrorCode"]["enum"])
    assert set(schema["components"]["schemas"]["ErrorCode"]["enum"]) == contract_codes


def test_served_operations_declare_the_contracts_security_and_scheme_definitions():
    """The contract's requirements, each; beyond them only the documented visitor schemes
    (``ADDITIONAL_SECURITY_SCHEMES``), which spell out what the contract's anonymous ``{}`` means."""
    contract = load_contract()
    generated = SchemaGenerator().get_schema(request=None, public=True)
    additions = set(ADDITIONAL_SECURITY_SCHEMES)
    problems = []
    for path, item in contract["paths"].items():
        for method in METHODS:
            served = generated["paths"].get(f"/api{path}", {}).get(method)
            if method not in item or served is None:
                continue
            want = item[method].get("security") or []
            got = served.get("security") or []
            core = [requirement for requirement in got if not set(requirement) <= additions]
            if core != [requirement for requirement in want if requirement != {}]:
                problems.append(f"{method.upper()} {path}: security {got}, contract {want}")
            if {} in want and core == got:
                problems.append(f"{method.upper()} {path}: the contract's anonymous access is not spelled out: {got}")
    for name, definition in generated["components"].get("securitySchemes", {}).items():
        if definition != (contract["components"]["securitySchemes"].get(name) or ADDITIONAL_SECURITY_SCHEMES.get(name)):
            problems.append(f"security scheme {name} differs from the contract and the documented additions")
    assert not problems, "\n".join(problems)


def _security(operation_id: str) -> list[dict]:
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return next(
        op["security"]
        for item in generated["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and op.get("operationId") == operation_id
    )


def test_the_visitor_credentials_are_security_schemes_on_the_routes_that_take_them():
    visitor = [{"RuntimeBearer": []}, {"ChatSession": []}]
    assert _security("createVisitorChatSession") == [*visitor, {"AnonymousVisitorStart": []}]
    assert _security("createVisitorConversation") == [*visitor, {"AnonymousVisitorStart": []}]
    for operation_id in ("getVisitorConversation", "sendAiVisitorMessage", "markChatMessageRead"):
        assert _security(operation_id) == visitor
    assert _security("createCallSession") == [*visitor, {"DashboardBearer": []}]
    assert ADDITIONAL_SECURITY_SCHEMES["ChatSession"]["name"] == "X-Ringnity-Chat-Session"
    assert ADDITIONAL_SECURITY_SCHEMES["AnonymousVisitorStart"]["name"] == "X-Ringnity-Tenant"
