"""The contract as schemathesis sees it, the checks, and which credential each operation gets."""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path

from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_schema_conformance,
)

from ringnity.api.errors import OAUTH_ADDITIONS, ErrorCode

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "docs" / "contract" / "ringnity-openapi.json"
PENDING = ROOT / "docs" / "contract" / "pending-operations.txt"
METHODS = ("get", "post", "put", "patch", "delete")
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    content_type_conformance,
    negative_data_rejection,
    ignored_auth,
]


def pending_operations() -> set[str]:
    lines = PENDING.read_text().splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


@cache
def _contract() -> dict:
    return json.loads(CONTRACT.read_text())


def contract_with_our_error_codes() -> dict:
    """The contract as the fuzzer reads it, changed in memory only where it cannot be read as written.

    * ErrorCode: the documented additions (ringnity/api/errors.py ADDITIONS) are allowed too;
      OAuthError likewise (OAUTH_ADDITIONS: RFC 6750's invalid_token, ...).
    * Path parameters: ``/agent-sdk/conversations/{id}...`` declares ``conversationId`` (a shared
      component) for the template's ``{id}``; the declared one is renamed to the template's name.
    """
    doc = copy.deepcopy(_contract())
    enum = doc["components"]["schemas"]["ErrorCode"]["enum"]
    enum.extend(code for code in ErrorCode.additions() if code not in enum)
    oauth = doc["components"]["schemas"]["OAuthError"]["properties"]["error"]["enum"]
    oauth.extend(code for code in OAUTH_ADDITIONS if code not in oauth)
    for template, item in doc["paths"].items():
        _name_path_parameters_as_the_template_does(doc, template, item)
    return doc


def _resolve(doc: dict, parameter: dict) -> dict:
    if "$ref" in parameter:
        return doc["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[1]]
    return parameter


def _name_path_parameters_as_the_template_does(doc: dict, template: str, item: dict) -> None:
    in_template = set(re.findall(r"\{([^}]+)\}", template))
    holders = [item, *(op for method, op in item.items() if method in METHODS)]
    for holder in holders:
        parameters = holder.get("parameters", [])
        declared = {_resolve(doc, p)["name"] for p in parameters if _resolve(doc, p)["in"] == "path"}
        missing, extra = in_template - declared, declared - in_template
        if holder is not item:
            missing -= {
                _resolve(doc, p)["name"] for p in item.get("parameters", []) if _resolve(doc, p)["in"] == "path"
            }
        if len(missing) == 1 and len(extra) == 1:
            wrong, right = extra.pop(), missing.pop()
            holder["parameters"] = [
                {**_resolve(doc, p), "name": right} if _resolve(doc, p)["name"] == wrong else p for p in parameters
            ]


def credential_for(operation, credentials) -> dict:
    """Headers for the operation's first security requirement; {} for public operations.

    RuntimeBearer operations get the token kind their path names (admin-sdk, agent-sdk, else visitor);
    DashboardBearer gets the owner's session. OAuthAccessToken is not minted here: those operations
    are fuzzed without credentials (so only their refusals are exercised).
    """
    requirements = operation.definition.raw.get("security") or []
    if not requirements:
        return {}
    scheme = next(iter(requirements[0]))
    if scheme == "RuntimeBearer":
        if operation.path.startswith("/admin-sdk/"):
            return credentials.admin
        if operation.path.startswith("/agent-sdk/"):
            return credentials.agent
        return credentials.visitor
    return {
        "ServerApiKey": credentials.server_key,
        "OwnerBearer": credentials.owner,
        "WorkspaceBearer": credentials.workspace,
        "DashboardBearer": credentials.owner,
        "PlatformBearer": credentials.platform,
    }.get(scheme, {})
