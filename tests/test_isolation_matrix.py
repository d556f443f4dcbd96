"""The isolation matrix, generated: every route that takes an id, with every credential that reaches it.

``ringnity.testing.isolation`` walks the URL conf and classifies each route's path parameters and
authentication classes; for every method and credential form, tenant A's credential is sent with tenant
B's ids (and, on nested routes, A's own parent with B's child) and must get 404, with nothing of B's
changed. A route the generator cannot classify fails ``test_every_route_with_an_id_is_classified`` with
what to add; a route added later is covered without editing this file. Routes of cross-tenant kinds
(platform operators) are proven closed to every tenant credential instead. Realtime frames:
``tests/test_isolation_matrix_realtime.py``.

One tenant pair for the module (made once, rolled back at the end); each case runs in its own savepoint.
"""

from __future__ import annotations

import re

import pytest
from django.db import transaction
from django.urls import path
from rest_framework.authentication import BaseAuthentication
from rest_framework.views import APIView

from ringnity.api.errors import ErrorCode
from ringnity.api.principal import PrincipalKind
from ringnity.testing.contract import assert_contract, generated_document
from ringnity.testing.isolation import (
    CREDENTIAL_FORMS,
    CROSS_TENANT_KINDS,
    OutsideTenancy,
    Route,
    Unclassified,
    classify,
    tenant_routes,
)
from tests.isolation_world import Credential, fingerprint, tenant_world

ROUTES = tenant_routes()
SAFE = {"get"}
#: Bodies for writes whose input rule the schema cannot express (one of several optional fields), so
#: that validation passes and the id's lookup is what answers; by operationId.
NO_ACCESS = {ErrorCode.PERMISSION_DENIED, ErrorCode.SERVER_API_SCOPE_DENIED, ErrorCode.FEATURE_NOT_AVAILABLE}
BODIES = {"editVisitorConversationMessage": {"body": "edited"}}


def _variants(route: Route):
    """B's ids everywhere; on nested routes also A's own parent(s) with B's last id."""
    names = [name for name, _kind in route.parameters]
    yield "B's ids", set(names)
    if len(names) > 1:
        yield "A's parent, B's child", {names[-1]}


def _cases():
    for found in ROUTES:
        if not isinstance(found, Route) or found.accepted & CROSS_TENANT_KINDS:
            continue
        for method in found.methods:
            for form in found.forms(method):
                for variant, foreign in _variants(found):
                    case_id = f"{method.upper()} /{found.route} as {form}: {variant}"
                    yield pytest.param(found, method, form, foreign, id=case_id)


CASES = list(_cases())
CROSS_TENANT_CASES = [
    pytest.param(found, method, form, id=f"{method.upper()} /{found.route} as {form}")
    for found in ROUTES
    if isinstance(found, Route) and found.accepted & CROSS_TENANT_KINDS
    for method in found.methods
    for form, (kind, _scopes, _bound) in CREDENTIAL_FORMS.items()
    if kind not in CROSS_TENANT_KINDS
]


@pytest.fixture(scope="module")
def worlds(django_db_setup, django_db_blocker):
    """Tenants A and B, made once for the module inside a transaction that is rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield tenant_world("matrix-a"), tenant_world("matrix-b")
        transaction.set_rollback(True)


def _operation_id(route: Route, method: str) -> str | None:
    """The operation in the served schema; None for a route the schema leaves out (a file download)."""
    path = "/" + re.sub(r"<(?:[^>:]+:)?([^>]+)>", r"{\1}", route.route)
    for operation_id, (op_method, op_path, _op) in generated_document().operations.items():
        if op_method == method.upper() and op_path == path:
            return operation_id
    return None


def _refused(response, operation_id: str | None, status: int) -> dict:
    if operation_id is not None:
        return assert_contract(response, operation_id, status=status)
    assert response.status_code == status, response.content[:500]
    body = response.json()
    assert set(body) <= {"success", "code", "message", "details"}, body
    assert body["code"] in set(ErrorCode), body
    return body


def _minimal(schema: dict, spec: dict, depth: int = 0):
    """A small value valid for ``schema`` (required fields only), so that input validation passes and the
    lookup of the id is what answers."""
    while "$ref" in schema:
        target = spec
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        schema = target
    for key in ("example", "default", "const"):
        if key in schema:
            return schema[key]
    if "enum" in schema:
        return next(v for v in schema["enum"] if v is not None)
    if "oneOf" in schema or "anyOf" in schema:
        return _minimal((schema.get("oneOf") or schema["anyOf"])[0], spec, depth + 1)
    if "allOf" in schema:
        merged = {}
        for part in schema["allOf"]:
            value = _minimal(part, spec, depth + 1)
            merged.update(value if isinstance(value, dict) else {})
        return merged
    kind = schema.get("type", "object")
    kind = next((t for t in kind if t != "null"), "string") if isinstance(kind, list) else kind
    if kind == "object":
        props = schema.get("properties", {})
        return {name: _minimal(props[name], spec, depth + 1) for name in schema.get("required", []) if name in props}
    if kind == "array":
        return [_minimal(schema.get("items", {}), spec, depth + 1)] * schema.get("minItems", 0)
    if kind in ("integer", "number"):
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return True
    if schema.get("format") == "email":
        return "someone@example.com"
    if schema.get("format") in ("uri", "url"):
        return "https://example.com/x"
    return "x" * max(1, schema.get("minLength", 1))


def _body(operation_id: str | None) -> tuple[dict, str]:
    """``(minimal body, format)`` from the operation's request body in the generated schema."""
    if operation_id is None:
        return {}, "json"
    if operation_id in BODIES:
        return BODIES[operation_id], "json"
    document = generated_document()
    operation = document.operations[operation_id][2]
    content = (operation.get("requestBody") or {}).get("content") or {}
    if "application/json" in content:
        return _minimal(content["application/json"].get("schema", {}), document.spec), "json"
    if "multipart/form-data" in content:
        return {}, "multipart"
    return {}, "json"


def _call(client, route, method, operation_id, credential, ids):
    body, fmt = _body(operation_id) if method not in SAFE else ({}, "json")
    body = {**body, **credential.body}
    kwargs = {"data": body, "format": fmt} if method not in SAFE else {"data": credential.body or None}
    return getattr(client, method)(route.path(ids), **kwargs, **credential.headers)


# --- the matrix -----------------------------------------------------------------------------------------


def test_every_route_with_an_id_is_classified():
    unclassified = [found.message for found in ROUTES if isinstance(found, Unclassified)]
    assert not unclassified, "\n\n".join(unclassified)
    outside = [found for found in ROUTES if isinstance(found, OutsideTenancy)]
    assert all(found.reason for found in outside)
    assert len(CASES) > 50  # the generator found the tenant routes (a broken walk finds none)


def test_a_route_it_cannot_classify_fails_with_how_to_classify_it():
    class Unknown(BaseAuthentication):
        def authenticate(self, request):
            return None

    class NewView(APIView):
        authentication_classes = [Unknown]
        accepted_principals = {PrincipalKind.SERVER_KEY}

        def get(self, request, widgetId):
            return None

    found = classify("api/server/widgets/<str:widgetId>", path("api/server/widgets/<str:widgetId>", NewView.as_view()))
    assert isinstance(found, Unclassified)
    for words in ("path parameter `widgetId`", "PATH_PARAMETERS", "authentication class `Unknown`"):
        assert words in found.message


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "method", "form", "foreign"), CASES)
def test_another_tenants_id_is_not_found(worlds, api_client, route, method, form, foreign):
    a, b = worlds
    credential = a.credentials[form]
    operation_id = _operation_id(route, method)
    ids = {name: (b if name in foreign else a).ids[kind] for name, kind in route.parameters}
    before = fingerprint(b.tenant) if method not in SAFE else None
    response = _call(api_client, route, method, operation_id, credential, ids)
    body = _refused(response, operation_id, 404)
    for secret in b.ids.values():
        assert secret not in response.content.decode(), f"the answer names B's {secret}"
    assert body["success"] is False
    if before is not None:
        assert fingerprint(b.tenant) == before, "a refused write changed tenant B's rows"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "route", [pytest.param(found, id=f"/{found.route}") for found in ROUTES if isinstance(found, Route)]
)
def test_credentials_the_route_does_not_take_never_reach_it(worlds, api_client, settings, route):
    """Every other credential the project has (OAuth access token, platform operator, ops token, the
    other tenant kinds) with B's ids: refused as a credential (401/403), never an answer about the object."""
    a, b = worlds
    settings.OPS_TOKEN = "ops-" + "x" * 40
    others = {**a.credentials, "ops_token": Credential({"HTTP_AUTHORIZATION": f"Bearer {settings.OPS_TOKEN}"})}
    ids = {name: b.ids[kind] for name, kind in route.parameters}
    refused = []
    for method in route.methods:
        for form, credential in others.items():
            if form in route.forms(method):
                continue
            response = _call(api_client, route, method, _operation_id(route, method), credential, ids)
            if response.status_code not in (401, 403):
                refused.append(f"{method.upper()} as {form}: {response.status_code} {response.content[:200]!r}")
    assert not refused, "\n".join(refused)


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "method", "form"), CROSS_TENANT_CASES)
def test_cross_tenant_routes_refuse_every_tenant_credential(worlds, api_client, route, method, form):
    a, b = worlds
    operation_id = _operation_id(route, method)
    ids = {name: b.ids[kind] for name, kind in route.parameters}
    before = fingerprint(b.tenant)
    response = _call(api_client, route, method, operation_id, a.credentials[form], ids)
    assert response.status_code in (401, 403), response.content
    _refused(response, operation_id, response.status_code)
    assert fingerprint(b.tenant) == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("route", "method", "form"),
    [
        pytest.param(*case.values[:3], id=case.id.removesuffix(": B's ids"))
        for case in CASES
        if case.id.endswith("B's ids")
    ],
)
def test_the_same_credential_reaches_its_own_tenants_object(worlds, api_client, route, method, form):
    """The control: with A's own ids the call is authenticated and finds the object (a write here is
    rolled back with the case), so the 404s above come from tenancy, not from a credential or body that
    never gets that far."""
    a, _b = worlds
    operation_id = _operation_id(route, method)
    ids = {name: a.ids[kind] for name, kind in route.parameters}
    response = _call(api_client, route, method, operation_id, a.credentials[form], ids)
    assert response.status_code not in (401, 404), response.content[:500]
    assert response.status_code < 500, response.content[:500]
    if response.status_code == 403:  # a rule about the object found (only the callee answers), not access
        assert response.json()["code"] not in NO_ACCESS, response.content[:500]
