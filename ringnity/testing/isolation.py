"""The isolation matrix's generator: every route of the URL conf that takes an id, every credential that
reaches it, and every realtime frame that names an object, classified by small tables.

Nothing here names a route. ``tenant_routes()`` walks ``django.urls``: each route's path parameters are
classified by ``PATH_PARAMETERS`` (the parameter's name, or ``<segment before it>/<name>`` for a generic
``id``), its authentication classes by ``AUTHENTICATION_CLASSES`` (which credential forms each carries),
and the principal kinds and scopes it accepts are read from the view (``accepted_principals``,
``required_scopes``). What cannot be classified becomes an ``Unclassified`` whose ``message`` says which
table to extend, so a route added later is either covered or fails the matrix test.

The tables name object kinds and credential forms by string; ``tests/isolation_world.py`` builds them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.urls import URLPattern, URLResolver, get_resolver

from ringnity.api.permissions import PUBLIC

HERE = "ringnity/testing/isolation.py"

#: Path parameter → the kind of object it names (``tests/isolation_world.py`` makes one of each per tenant).
#: A generic name (``id``) is keyed by the path segment before it: ``contacts/id``.
PATH_PARAMETERS = {
    "clientId": "tenant",
    "credentialId": "server_api_key",
    "oauth_client_id": "oauth_client",
    "contacts/id": "contact",
    "webhooks/id": "webhook_endpoint",
    "conversationId": "conversation",
    "conversations/id": "conversation",
    "messageId": "message",
    "attachmentId": "attachment",
    "callSessionId": "call_session",
    "calls/sessionId": "ai_voice_session",
    "knowledge_item_id": "knowledge_document",
}

#: Authentication class → the credential forms it reads (a form is one way of sending one principal kind).
AUTHENTICATION_CLASSES = {
    "OwnerJWTAuthentication": ("owner_session",),
    "WorkspaceJWTAuthentication": ("workspace_session",),
    "DashboardJWTAuthentication": ("owner_session", "workspace_session"),
    "PlatformJWTAuthentication": ("platform_session",),
    "ServerApiKeyAuthentication": ("server_api_key",),
    "OAuthAccessTokenAuthentication": ("oauth_access_token",),
    "RuntimeBearerAuthentication": ("visitor_runtime", "visitor_call_token", "agent_runtime", "admin_runtime"),
    # The visitor's headers; agent and admin runtime tokens pass through it to the view's kind check.
    "VisitorAuthentication": (
        "visitor_runtime",
        "visitor_call_token",
        "visitor_chat_session",
        "agent_runtime",
        "admin_runtime",
    ),
    "CallSessionTokenAuthentication": ("visitor_body_session",),  # ``sessionToken`` in the JSON body
    "AnonymousVisitorStartAuthentication": (),  # authenticates nobody
}

#: Credential form → (principal kind, scopes it carries or None for all its kind may have, the object kind it
#: is bound to or None). A bound credential is only tried on routes naming that kind of object.
CREDENTIAL_FORMS = {
    "owner_session": ("owner", None, None),
    "workspace_session": ("workspace", None, None),
    "platform_session": ("platform", None, None),
    "server_api_key": ("server_key", None, None),
    "oauth_access_token": ("oauth", None, None),
    "visitor_runtime": ("visitor", None, None),
    # A call link's join credential: ``visitor:calls`` only, for the one call session it started.
    "visitor_call_token": ("visitor", frozenset({"visitor:calls"}), "call_session"),
    "visitor_chat_session": ("visitor", None, None),
    "visitor_body_session": ("visitor", None, None),
    "agent_runtime": ("agent", None, None),
    "admin_runtime": ("admin_sdk", None, None),
}

#: Principal kinds that are cross-tenant by design: their routes take a tenant's id on purpose, and the
#: matrix proves instead that no tenant credential reaches them.
CROSS_TENANT_KINDS = {"platform"}

#: Routes outside tenancy, by prefix, and why (no tenant credential names an object there).
OUTSIDE_TENANCY = {
    "admin/": "the platform console: operators only (Django session), cross-tenant by design; "
    "roles are proven in apps/platform/tests",
    "call/join/": "the path's token is itself the credential (a call link), not an id read with one; "
    "proven in apps/calls/tests/test_join_page.py",
    "widget/": "the chat widget's public files (the path names a language, no tenant's object); "
    "proven in apps/widget/tests/test_widget_files.py",
}

_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
_METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Route:
    route: str  # the URL conf's pattern, e.g. api/server/contacts/<str:id>
    view: type
    parameters: tuple[tuple[str, str], ...]  # (name, object kind), in path order
    methods: tuple[str, ...]
    authentication: tuple[str, ...]
    accepted: frozenset[str]  # principal kinds

    def path(self, ids: dict[str, str]) -> str:
        """The URL with each parameter replaced by ``ids[name]``."""
        return "/" + _PARAMETER.sub(lambda m: ids[m.group("name")], self.route)

    def required_scopes(self, method: str) -> frozenset[str]:
        return frozenset((getattr(self.view, "required_scopes", None) or {}).get(method.upper(), set()))

    def forms(self, method: str) -> list[str]:
        """The credential forms of the route's authentication classes whose kind and scopes it accepts."""
        found = []
        objects = {kind for _name, kind in self.parameters}
        for name in self.authentication:
            for form in AUTHENTICATION_CLASSES[name]:
                kind, scopes, bound_to = CREDENTIAL_FORMS[form]
                if kind not in self.accepted or form in found or (bound_to and bound_to not in objects):
                    continue
                if scopes is not None and not self.required_scopes(method) <= scopes:
                    continue
                if form == "visitor_body_session" and method == "get":
                    continue  # a GET has no body to carry it
                found.append(form)
        return found


@dataclass(frozen=True)
class Unclassified:
    route: str
    problems: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        return f"The isolation matrix cannot classify `{self.route}`:\n  " + "\n  ".join(self.problems)


@dataclass(frozen=True)
class OutsideTenancy:
    route: str
    reason: str


def url_patterns(resolver=None, prefix: str = ""):
    """``(route string, URLPattern)`` for every leaf of the URL conf."""
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            yield from url_patterns(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def _parameter_kind(route: str, match: re.Match) -> str | None:
    name = match.group("name")
    segment = route[: match.start()].rstrip("/").rsplit("/", 1)[-1]
    return PATH_PARAMETERS.get(name) or PATH_PARAMETERS.get(f"{segment}/{name}")


def classify(route: str, pattern: URLPattern) -> Route | Unclassified | OutsideTenancy | None:
    """The route's classification; None when it takes no path parameter."""
    matches = list(_PARAMETER.finditer(route))
    if not matches:
        return None
    for prefix, reason in OUTSIDE_TENANCY.items():
        if route.startswith(prefix):
            return OutsideTenancy(route, reason)
    problems = []
    parameters = []
    for match in matches:
        name, kind = match.group("name"), _parameter_kind(route, match)
        if kind is None:
            problems.append(
                f"path parameter `{name}` names no known object kind: add `{name!r}` (or "
                f"`'<segment>/{name}'`) to PATH_PARAMETERS in {HERE}, and make one such object per tenant in "
                "tests/isolation_world.py (or list the route's prefix in OUTSIDE_TENANCY with the reason)"
            )
        parameters.append((name, kind))
    view = getattr(pattern.callback, "cls", None)
    if view is None:
        return Unclassified(route, [*problems, "not a DRF view: list its prefix in OUTSIDE_TENANCY with the reason"])
    authentication = tuple(cls.__name__ for cls in getattr(view, "authentication_classes", ()))
    for name in authentication:
        if name not in AUTHENTICATION_CLASSES:
            problems.append(
                f"authentication class `{name}` is unknown: add it to AUTHENTICATION_CLASSES in {HERE} with the "
                "credential forms it reads (and a new form to CREDENTIAL_FORMS and tests/isolation_world.py)"
            )
    accepted = getattr(view, "accepted_principals", None)
    if accepted is None or accepted == PUBLIC:
        who = "everybody" if accepted else "nobody"
        problems.append(
            f"`{view.__name__}` takes an id but accepts {who}: give it `accepted_principals`, or list the "
            f"route's prefix in OUTSIDE_TENANCY in {HERE} with why no tenant credential is involved"
        )
        accepted = ()
    accepted = frozenset(str(kind) for kind in accepted)
    forms = [form for name in authentication for form in AUTHENTICATION_CLASSES.get(name, ())]
    carried = {CREDENTIAL_FORMS[form][0] for form in forms}
    for kind in sorted(accepted - carried):
        problems.append(f"`{view.__name__}` accepts principal kind `{kind}` but no authentication class carries it")
    if problems:
        return Unclassified(route, problems)
    methods = tuple(m for m in _METHODS if hasattr(view, m))
    return Route(route, view, tuple(parameters), methods, authentication, accepted)


def tenant_routes():
    """Every route of the URL conf that takes a path parameter, classified."""
    return [found for route, pattern in url_patterns() if (found := classify(route, pattern)) is not None]


# --- realtime ---------------------------------------------------------------------------------------------

#: A client frame's field → the kinds of object it may name (``requestId`` is the client's correlation id).
FRAME_FIELDS = {
    "conversationId": ("conversation",),
    "callSessionId": ("call_session", "ai_voice_session"),  # a call (call_...) or an AI voice call (avs_...)
}
#: The credential forms the gateway's auth frame takes (the ``token`` of ``{"type": "auth"}``).
GATEWAY_FORMS = ("visitor_runtime", "visitor_call_token", "visitor_chat_session", "agent_runtime", "admin_runtime")
#: Forms whose socket is bound to one call session: every frame but that call's signalling is refused as such
#: (``PERMISSION_DENIED``) before any id is looked up; another call is not found.
CALL_BOUND_FORMS = ("visitor_call_token",)
#: Client frames that name an object without reading or changing it, and why.
HARMLESS_FRAMES = {"unsubscribe": "drops the socket's own subscription (if any); answers `unsubscribed` only"}
_NOT_IDS = {"requestId", "cursor", "token", "type"}


@dataclass(frozen=True)
class Frame:
    message: str  # the AsyncAPI message name (subscribe, typingIn, callSignalIn...)
    types: tuple[str, ...]  # the frame ``type`` values
    fields: tuple[tuple[str, tuple[str, ...]], ...]  # (field, object kinds it may name)
    required: tuple[str, ...]


def realtime_id_frames(document: dict) -> list[Frame | Unclassified]:
    """Every client frame of the AsyncAPI document that carries an id-like field, classified."""
    messages = document["components"]["messages"]
    found = []
    for ref in document["operations"]["receiveClientFrames"]["messages"]:
        name = ref["$ref"].rsplit("/", 1)[-1]
        key = document["channels"]["gateway"]["messages"][name]["$ref"].rsplit("/", 1)[-1]
        payload = messages[key]["payload"]
        properties = payload.get("properties", {})
        ids = [p for p in properties if p not in _NOT_IDS and (p.endswith("Id") or p == "id")]
        if not ids:
            continue
        unknown = [p for p in ids if p not in FRAME_FIELDS]
        if unknown:
            found.append(
                Unclassified(
                    f"realtime frame `{key}`",
                    [f"field `{p}` names no known object kind: add it to FRAME_FIELDS in {HERE}" for p in unknown],
                )
            )
            continue
        kind = properties["type"]
        types = (kind["const"],) if "const" in kind else tuple(kind.get("enum", ()))
        fields = tuple((p, FRAME_FIELDS[p]) for p in ids)
        found.append(Frame(key, types, fields, tuple(payload.get("required", ()))))
    return found
