"""What the generated docs say about each operation, in one place.

* Summary, description and tags come from the contract by ``operationId`` (``OWN_DOCS`` for the
  few operations the contract lacks); a Python docstring never becomes an operation's text.
* The error answers an operation can give are found, not hand-listed: the view's declarations
  (authentication classes, ``required_scopes``, ``validation_error_code``, path parameters,
  throttles) plus every ``ApiError(ErrorCode.X, "message", status=N)``, ``not_found(...)`` and
  ``validation_failed(...)`` in the code the handler reaches (the view method, the methods it
  calls on ``self``, the authentication classes, and the project functions they call, a few
  levels deep). Each code gets one example with the message the code really sends.
"""

from __future__ import annotations

import ast
import inspect
import json
import textwrap
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace

from django.conf import settings

from ringnity.api import idempotency, parsers
from ringnity.api.errors import ADDITIONS, ApiError, ErrorCode
from ringnity.api.exceptions import explain_unauthenticated

CONTRACT_PATH = Path(__file__).resolve().parents[2] / "docs" / "contract" / "ringnity-openapi.json"
PROJECT_MODULES = ("apps.", "ringnity.")
SCAN_DEPTH = 4

#: Operations served beyond the contract: their docs, written here because the contract has none.
OWN_DOCS: dict[str, dict] = {}

#: Request bodies "Try it out" starts from, for the operations of the README's first hour: valid as
#: they stand (a generated ``"phone": "string"`` is refused), with the demo's local credentials.
REQUEST_EXAMPLES: dict[str, dict] = {
    "upsertContact": {"name": "Ada Lovelace", "phone": "+14155550100", "email": "ada@example.com", "tags": ["vip"]},
    "loginOwner": {"email": "owner@demo.ringnity.local", "password": "ringnity-demo-2026"},
    "createServerApiCredential": {
        "name": "Billing backend",
        "environment": "test",
        "scopes": ["server:contacts:read", "server:contacts:write"],
    },
    "updateDeveloperAllowedDomains": {"allowedDomains": ["localhost", "127.0.0.1", "shop.example.com"]},
}

#: Errors the shared plumbing answers for every operation of a kind: (status, message, details).
_VALIDATION = (400, "Validation failed.", ["name: This field is required."])
_RATE_LIMITED = (429, "Too many requests; retry later.", None)
_KEY_REUSED = (409, "This Idempotency-Key was already used with a different request; use a new key.", None)
_BAD_KEY = (400, "Validation failed.", ["Idempotency-Key: use printable ASCII characters only."])
_KEY_IN_FLIGHT = (409, "A request with this Idempotency-Key is still in progress; retry after it finishes.", None)


def _body_errors() -> dict[str, tuple]:
    """What the JSON parser answers for a broken or oversized body, produced by the parser itself."""
    errors = {ErrorCode.PAYLOAD_TOO_LARGE.value: (413, "Request body too large.", None)}
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit:
        errors[ErrorCode.PAYLOAD_TOO_LARGE.value] = (413, f"Request body larger than {limit} bytes.", None)
    if hasattr(parsers, "malformed_json"):
        try:
            json.loads('{"name": "Ada",}')
        except json.JSONDecodeError as exc:
            error = parsers.malformed_json(exc)
            errors[error.code.value] = (error.status, error.message, error.details)
    return errors


@lru_cache(maxsize=1)
def contract_operations() -> dict[str, dict]:
    """operationId -> the contract operation (summary, description, tags, ...)."""
    contract = json.loads(CONTRACT_PATH.read_text())
    return {
        operation["operationId"]: operation
        for item in contract["paths"].values()
        for method, operation in item.items()
        if isinstance(operation, dict) and "operationId" in operation
    }


def operation_docs(operation_id: str) -> dict | None:
    """``{"summary", "description"?, "tags"?}`` for an operation, or None when nobody wrote any."""
    if operation_id in OWN_DOCS:
        return OWN_DOCS[operation_id]
    operation = contract_operations().get(operation_id)
    if operation is None:
        return None
    return {key: operation[key] for key in ("summary", "description", "tags") if key in operation}


@lru_cache(maxsize=1)
def contract_enums() -> dict[frozenset, tuple[str, list]]:
    """The contract's named string enums by value set: frozenset(values) -> (name, values)."""
    schemas = json.loads(CONTRACT_PATH.read_text())["components"]["schemas"]
    named: dict[frozenset, tuple[str, list]] = {}
    for name, schema in schemas.items():
        if schema.get("type") == "string" and schema.get("enum"):
            named.setdefault(frozenset(schema["enum"]), (name, schema["enum"]))
    return named


def name_enums_from_contract(result, generator, request, public):
    """Postprocessing hook (before drf-spectacular's enum naming): a choice set the contract names
    is published under the contract's name, so two fields called ``status`` with different choices
    never collide and a reader sees ``CallSessionStatus``, not ``Status033Enum``."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for component in list(schemas.values()):
        for prop in component.get("properties", {}).values():
            types = prop.get("type")
            is_array = types == "array" or (isinstance(types, list) and "array" in types)
            target = prop.get("items", prop) if is_array else prop
            if "enum" not in target:
                continue
            found = contract_enums().get(frozenset(v for v in target["enum"] if v not in (None, "")))
            if found is None:
                continue
            name, values = found
            schemas.setdefault(name, {"type": "string", "enum": values})
            ref = {"$ref": f"#/components/schemas/{name}"}
            replacement = {"oneOf": [ref, {"type": "null"}]} if None in target["enum"] else ref
            extras = {key: value for key, value in target.items() if key not in {"enum", "type"}}
            target.clear()
            target.update(replacement, **extras)
    return result


def publish_named_enums(result, generator, request, public):
    """Postprocessing hook (after drf-spectacular's enum pass, which rebuilds the component list): every
    contract enum a schema refers to is published, so the served schema has no dangling ``$ref``."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    by_name = {name: values for name, values in contract_enums().values()}
    referenced, stack = set(), [result]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                referenced.add(ref.rsplit("/", 1)[1])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    for name in sorted(referenced - set(schemas)):
        if name in by_name:
            schemas[name] = {"type": "string", "enum": by_name[name]}
    return result


def apply_contract_docs(result, generator, request, public):
    """Postprocessing hook: every operation's summary/description/tags from the contract (an extension's
    from its own ``extend_schema``), nothing else."""
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            docs = operation_docs(operation["operationId"])
            if docs is None and operation.get("x-ringnity-extension"):
                docs = {}  # an extension's own summary and description (its ``extend_schema``) are its docs
            else:
                operation.pop("description", None)
            if docs:
                operation.update(docs)
            example = REQUEST_EXAMPLES.get(operation["operationId"])
            media = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if example is not None and media is not None:
                media["example"] = example
    return result


# --- Error answers ------------------------------------------------------------------------------


def _code_name(node: ast.AST) -> str | None:
    """``ErrorCode.X`` -> "X" (also ``errors.ErrorCode.X``)."""
    if isinstance(node, ast.Attribute) and node.attr in ErrorCode.__members__:
        base = node.value
        if (isinstance(base, ast.Name) and base.id == "ErrorCode") or (
            isinstance(base, ast.Attribute) and base.attr == "ErrorCode"
        ):
            return node.attr
    return None


#: What the names in an error message's f-string stand for in the docs' examples: the locals of the code
#: that raises (module constants are read from the module itself). A name missing here leaves its
#: ``{expression}`` in the example, and ``ringnity/tests/test_generated_docs.py`` fails on it.
EXAMPLE_VALUES: dict[str, object] = {
    "allowed": ["visitor"],
    "call": SimpleNamespace(status="ended", direction="inbound"),
    "capability": {"label": "Video call", "reason": "Not included in the plan.", "status": "not_in_plan"},
    "failed": "redis",
    "hint": "",
    "key": "webhooks",
    "label": "daily",
    "limit": 3,
    "name": "overageRate",
    "period": "yesterday",
    "plan": "starter",
    "self": SimpleNamespace(plan_slug="starter"),
    "service": "video_call",
    "slug": "acme",
    "status": "ended",
    "to": "answered",
}
_CONSTANT_TYPES = (str, int, float, bool, tuple, list, frozenset)
_EXAMPLE_BUILTINS = {"sorted": sorted, "len": len, "str": str, "int": int, "min": min, "max": max}


def _example_names(scope: dict, bindings: dict | None = None) -> dict:
    """The names an error message's f-string may use, for the docs' examples, weakest first: the
    module's constants (``MAX_URL_LENGTH``), ``EXAMPLE_VALUES``, the module's own
    ``ERROR_EXAMPLE_VALUES`` (an app's word for its locals, e.g. which scope its views check), and the
    literal arguments the scanned caller passed (``require_quota("contacts", ...)`` names ``key``)."""
    constants = {name: value for name, value in scope.items() if name.isupper() and isinstance(value, _CONSTANT_TYPES)}
    return {**constants, **EXAMPLE_VALUES, **scope.get("ERROR_EXAMPLE_VALUES", {}), **(bindings or {})}


def _formatted(value: ast.FormattedValue, names: dict | None) -> str:
    """One ``{expression}`` of an f-string, evaluated with example values; left as written if it cannot be."""
    source = ast.unparse(value.value)
    try:
        result = eval(  # noqa: S307 - our own source, with example values and a few pure builtins only
            compile(ast.Expression(value.value), "<example>", "eval"),
            {"__builtins__": _EXAMPLE_BUILTINS},
            dict(names or {}),
        )
    except Exception:  # an unknown name: the test on the generated docs reports it
        return "{" + source + "}"
    if value.conversion == ord("r"):
        result = repr(result)
    elif value.conversion in (ord("s"), ord("a")):
        result = str(result) if value.conversion == ord("s") else ascii(result)
    spec = _text(value.format_spec, names) if value.format_spec is not None else ""
    return format(result, spec or "")


def _text(node: ast.AST | None, names: dict | None = None) -> str | None:
    """A message as sent, with example values in place of an f-string's expressions (``EXAMPLE_VALUES``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            elif isinstance(value, ast.FormattedValue):
                parts.append(_formatted(value, names))
        return "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _text(node.left, names), _text(node.right, names)
        if left is not None and right is not None:
            return left + right
    return None


def _keyword(call: ast.Call, name: str) -> ast.AST | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _details(node: ast.AST | None, names: dict | None = None) -> list[str] | None:
    if isinstance(node, ast.List):
        texts = [_text(item, names) for item in node.elts]
        return [t for t in texts if t] or None
    if isinstance(node, ast.ListComp):
        text = _text(node.elt, names)
        return [text] if text else None
    return None


def _callee_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _errors_in_call(call: ast.Call, names: dict | None = None) -> tuple[str, int, str, list[str] | None] | None:
    """(code, status, message, details) when ``call`` builds an API error (``names``: ``_example_names``)."""
    name = _callee_name(call)
    if name == "ApiError" and call.args:
        code = _code_name(call.args[0]) or _code_name(_keyword(call, "code"))
        if code is None:
            return None
        message = _text(call.args[1] if len(call.args) > 1 else _keyword(call, "message"), names)
        status_node = call.args[2] if len(call.args) > 2 else _keyword(call, "status")
        status = status_node.value if isinstance(status_node, ast.Constant) else 400
        details = _details(call.args[3] if len(call.args) > 3 else _keyword(call, "details"), names)
        return code, int(status), message or "", details
    if name == "not_found":
        code = _code_name(_keyword(call, "code") or (call.args[1] if len(call.args) > 1 else ast.Constant(None)))
        what = _text(call.args[0], names) if call.args else "Resource"
        return code or ErrorCode.NOT_FOUND.value, 404, f"{what or 'Resource'} not found.", None
    if name == "validation_failed":
        code = _code_name(_keyword(call, "code") or ast.Constant(None)) or ErrorCode.VALIDATION_FAILED.value
        message = _text(_keyword(call, "message"), names) or _VALIDATION[1]
        return code, 400, message, _details(call.args[0] if call.args else None, names)
    return None


def _resolve(call: ast.Call, scope: dict, owner: type | None):
    """The project function or method a call reaches, or None."""
    func = call.func
    target = None
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call):
        # ``entitlements.for_tenant(t).require_feature(...)``: a method of what the inner call returns.
        inner = _resolve(func.value, scope, owner)
        returned = _return_class(inner) if inner is not None else None
        target = getattr(returned, func.attr, None)
    elif isinstance(func, ast.Name):
        target = scope.get(func.id)
    elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        if func.value.id in {"self", "cls"} and owner is not None:
            target = getattr(owner, func.attr, None)
        else:
            base = scope.get(func.value.id)
            target = getattr(base, func.attr, None) if inspect.ismodule(base) or inspect.isclass(base) else None
    target = getattr(target, "__func__", target)
    if inspect.isfunction(target) and target.__module__.startswith(PROJECT_MODULES):
        return target
    return None


def _return_class(function) -> type | None:
    try:
        returned = inspect.signature(function, eval_str=True).return_annotation
    except (NameError, TypeError, ValueError, SyntaxError):
        return None
    return returned if inspect.isclass(returned) and returned.__module__.startswith(PROJECT_MODULES) else None


@lru_cache(maxsize=4096)
def _parse(function) -> ast.AST | None:
    try:
        return ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return None


_UNKNOWN = object()


def _call_bindings(call: ast.Call, callee, names: dict, owner: type | None) -> dict:
    """The callee's parameters a call passes literally, as a class constant (``self.required_feature``)
    or from the caller's own bindings: name -> value."""
    try:
        parameters = list(inspect.signature(callee).parameters.values())
    except (TypeError, ValueError):
        return {}
    if parameters and parameters[0].name in {"self", "cls"}:
        parameters = parameters[1:]

    def value_of(node):
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name) and node.id in names:
            return names[node.id]
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in {"self", "cls"}:
            value = getattr(owner, node.attr, _UNKNOWN) if owner is not None else _UNKNOWN
            return value if isinstance(value, _CONSTANT_TYPES) else _UNKNOWN
        return _UNKNOWN

    bound = {}
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    for parameter, node in zip(positional, call.args, strict=False):
        if (value := value_of(node)) is not _UNKNOWN:
            bound[parameter.name] = value
    known = {p.name for p in parameters}
    for keyword in call.keywords:
        if keyword.arg in known and (value := value_of(keyword.value)) is not _UNKNOWN:
            bound[keyword.arg] = value
    return bound


def scan_errors(
    function, owner: type | None = None, depth: int = SCAN_DEPTH, seen: set | None = None, bindings: dict | None = None
) -> dict:
    """code -> (status, message, details) for the errors ``function`` and its project callees raise.

    ``bindings``: the literal arguments the caller passed, so the examples read the caller's values.
    """
    seen = set() if seen is None else seen
    # Unwrapped: a decorated service (``@transaction.atomic``) resolves names in its own module.
    function = inspect.unwrap(getattr(function, "__func__", function))
    visit = (function, repr(sorted((bindings or {}).items())))
    if visit in seen or depth < 0 or not inspect.isfunction(function):
        return {}
    seen.add(visit)
    tree = _parse(function)
    if tree is None:
        return {}
    found: dict[str, tuple[int, str, list[str] | None]] = {}
    scope = function.__globals__
    names = _example_names(scope, bindings)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        error = _errors_in_call(node, names)
        if error:
            found.setdefault(error[0], error[1:])
            continue
        callee = _resolve(node, scope, owner)
        if callee is not None:
            callee_owner = _class_of(callee) or owner
            passed = _call_bindings(node, callee, bindings or {}, owner)
            for code, answer in scan_errors(callee, callee_owner, depth - 1, seen, passed).items():
                found.setdefault(code, answer)
    return found


def _class_of(function) -> type | None:
    """The class a method is defined on (``Entitlements.require_feature`` -> Entitlements)."""
    qualname = function.__qualname__.split(".")
    if len(qualname) < 2 or "<locals>" in qualname:
        return None
    owner = inspect.getmodule(function)
    for part in qualname[:-1]:
        owner = getattr(owner, part, None)
    return owner if inspect.isclass(owner) else None


def _owner_of(cls: type, attribute: str) -> type:
    return next((klass for klass in cls.__mro__ if attribute in vars(klass)), cls)


def is_callback_view(view) -> bool:
    """drf-spectacular's stand-in view for a callback (a request we send, e.g. a webhook): never throttled."""
    return type(view).__module__.startswith("drf_spectacular")


def view_errors(view, method: str, has_body: bool, has_path_params: bool) -> dict[str, tuple]:
    """code -> (status, message, details) for what this operation of ``view`` can answer."""
    cls = view.__class__
    errors: dict[str, tuple] = {}
    handler = getattr(cls, method.lower(), None)
    if handler is not None:
        errors.update(scan_errors(handler, _owner_of(cls, method.lower())))
    for name in ("initial", "check_permissions", "get_object"):
        own = _owner_of(cls, name)
        if hasattr(cls, name) and own.__module__.startswith(PROJECT_MODULES):
            for code, answer in scan_errors(getattr(cls, name), own).items():
                errors.setdefault(code, answer)

    authenticators = view.get_authenticators()
    if authenticators:
        for authenticator in authenticators:
            missing = ErrorCode(getattr(authenticator, "missing_credentials_code", ErrorCode.AUTH_REQUIRED))
            # The 401 the exception handler sends for a request without credentials, word for word.
            error = ApiError(missing, "Authentication credentials were not provided.", status=401)
            explain_unauthenticated(error, SimpleNamespace(authenticators=authenticators, META={}), missing=True)
            errors.setdefault(missing.value, (401, error.message, error.details or None))
            for code, answer in scan_errors(authenticator.__class__.authenticate, authenticator.__class__).items():
                errors.setdefault(code, answer)
    scopes = sorted((getattr(view, "required_scopes", None) or {}).get(method.upper(), ()))
    if scopes:
        code = ErrorCode(getattr(view, "scope_denied_code", ErrorCode.PERMISSION_DENIED)).value
        errors.setdefault(code, (403, "The credential lacks a required scope.", [f"missing scope: {scopes[0]}"]))
    if has_body:
        code = ErrorCode(getattr(view, "validation_error_code", ErrorCode.VALIDATION_FAILED)).value
        errors.setdefault(code, _VALIDATION)
        for code, answer in _body_errors().items():
            errors.setdefault(code, answer)
    if has_path_params:
        errors.setdefault(ErrorCode.NOT_FOUND.value, (404, "Not found.", None))
    if view.get_throttles() and not is_callback_view(view):
        errors.setdefault(ErrorCode.RATE_LIMITED.value, _RATE_LIMITED)
    if getattr(getattr(view, method.lower(), None), idempotency.MARKER, False):
        errors.setdefault(ErrorCode.IDEMPOTENCY_KEY_REUSED.value, _KEY_REUSED)
        errors.setdefault(ErrorCode.CONFLICT.value, _KEY_IN_FLIGHT)
        errors.setdefault(ErrorCode.VALIDATION_FAILED.value, _BAD_KEY)
    return errors


def error_responses(errors: dict[str, tuple], error_ref: dict) -> dict[str, dict]:
    """OpenAPI responses by status, each listing its codes with one example apiece."""
    by_status: dict[str, dict] = {}
    for code, (status, message, details) in sorted(errors.items(), key=lambda item: (item[1][0], item[0])):
        if not 400 <= status < 600:
            continue
        fallback = ADDITIONS.get(code) or code.replace("_", " ").capitalize() + "."
        value = {"success": False, "code": code, "message": message or fallback}
        if details:
            value["details"] = details
        response = by_status.setdefault(
            str(status),
            {"description": "", "content": {"application/json": {"schema": error_ref, "examples": {}}}},
        )
        response["content"]["application/json"]["examples"][code] = {"summary": code, "value": value}
    for response in by_status.values():
        codes = list(response["content"]["application/json"]["examples"])
        response["description"] = "Error envelope: " + ", ".join(f"`{code}`" for code in codes) + "."
    return by_status
