"""Who is writing, and from where: set once per request, command or task, read by ``audit_record``.

``AuditContextMiddleware`` keeps the request in a context variable; the actor is read from it when
a row is written (DRF's authentication puts the ``Principal`` on the Django request as ``auth``, the
console's session puts the operator on ``user``), so no service signature carries it. Management
commands (``AuditedCommand``) and other code without a request name themselves with ``audit_actor``.
"""

from __future__ import annotations

import contextlib
import contextvars
from dataclasses import dataclass

from apps.audit.models import ActorKind
from ringnity.api.middleware import current_request_id
from ringnity.api.principal import PrincipalKind
from ringnity.api.throttling import client_ip


@dataclass(frozen=True)
class Actor:
    kind: str
    id: str = ""
    label: str = ""


@dataclass(frozen=True)
class _Context:
    request: object | None = None
    actor: Actor | None = None


_context: contextvars.ContextVar[_Context | None] = contextvars.ContextVar("audit_context", default=None)
_NOTHING = _Context()

_written: contextvars.ContextVar[list | None] = contextvars.ContextVar("audit_written", default=None)

_PRINCIPAL_KINDS = {
    PrincipalKind.OWNER: ActorKind.OWNER,
    PrincipalKind.WORKSPACE: ActorKind.STAFF,
    PrincipalKind.PLATFORM: ActorKind.PLATFORM,
    PrincipalKind.SERVER_KEY: ActorKind.SERVER_KEY,
    PrincipalKind.ADMIN_SDK: ActorKind.ADMIN_SDK,
    PrincipalKind.AGENT: ActorKind.AGENT,
    PrincipalKind.OAUTH: ActorKind.OAUTH,
}


@contextlib.contextmanager
def audit_request(request):
    token = _context.set(_Context(request=request))
    try:
        yield
    finally:
        _context.reset(token)


@contextlib.contextmanager
def audit_actor(*, kind: str, id: str = "", label: str = ""):
    """Names the actor of every row written inside the block (commands, tasks, scripts)."""
    current = _context.get() or _NOTHING
    token = _context.set(_Context(request=current.request, actor=Actor(kind=kind, id=id, label=label)))
    try:
        yield
    finally:
        _context.reset(token)


@contextlib.contextmanager
def audit_watch():
    """Yields the list of actions recorded inside the block (a generic writer records only when a
    service it called recorded nothing)."""
    written: list[str] = []
    token = _written.set(written)
    try:
        yield written
    finally:
        _written.reset(token)


def note_written(action: str) -> None:
    written = _written.get()
    if written is not None:
        written.append(action)


class AuditContextMiddleware:
    """After ``AuthenticationMiddleware``: the console's operator is on ``request.user`` by then."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with audit_request(request):
            return self.get_response(request)


def _user_actor(user) -> Actor:
    if getattr(user, "platform_role", ""):
        kind = ActorKind.PLATFORM
    elif getattr(user, "role", "") == "owner":
        kind = ActorKind.OWNER
    else:
        kind = ActorKind.STAFF
    return Actor(kind=kind, id=str(getattr(user, "public_id", user.pk)), label=user.email or user.username)


def _principal_actor(principal) -> Actor:
    kind = _PRINCIPAL_KINDS.get(principal.kind, ActorKind.SYSTEM)
    if principal.kind == PrincipalKind.SERVER_KEY and principal.credential is not None:
        key = principal.credential
        return Actor(kind=kind, id=str(getattr(key, "public_id", "")), label=getattr(key, "name", ""))
    if principal.user is not None:
        user_actor = _user_actor(principal.user)
        return Actor(kind=kind, id=user_actor.id, label=user_actor.label)
    return Actor(kind=kind, id=principal.subject)


def current_actor() -> Actor:
    context = _context.get() or _NOTHING
    if context.actor is not None:
        return context.actor
    request = context.request
    principal = getattr(request, "auth", None)
    if principal is not None and hasattr(principal, "kind"):
        return _principal_actor(principal)
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return _user_actor(user)
    return Actor(kind=ActorKind.SYSTEM)


def current_origin() -> tuple[str, str]:
    """``(client address, request id)`` of the write; a task keeps the id of the request that queued it."""
    request = (_context.get() or _NOTHING).request
    ip = client_ip(request) if request is not None else ""
    request_id = getattr(request, "request_id", "") or current_request_id()
    return ip, "" if request_id == "-" else request_id
