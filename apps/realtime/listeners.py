"""Who holds a socket: the ``auth`` frame's token turned into a ``Listener``, and the batch check that
closes the sockets whose credential no longer holds.

Tokens are checked by the same functions as the REST schemes (``apps.runtime.tokens.runtime_principal``
for runtime tokens, ``apps.chat.authentication.chat_session_principal`` for chat session tokens), so
a token is accepted here exactly when it would be accepted over REST.

Revocation is checked per gateway process every ``REALTIME_REVALIDATE_SECONDS`` for all its sockets
at once (``listeners_revoked``: a handful of queries whatever the number of sockets), not per socket.

The call link's credential (a visitor runtime token with ``visitor:calls`` and ``ctx.callSession``,
``apps.calls.link_services.call_join_credential``) opens a socket **bound to that call session**
(``Listener.call_session_id``): it signals that call and hears its ``call.*`` events, nothing else.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from django.utils import timezone

from apps.chat.authentication import chat_session_principal
from apps.chat.conversation_services import SUPERVISING_ROLES
from apps.chat.models import ChatSession
from apps.chat.visitor_services import CHAT_SESSION_TOKEN_PREFIX, visitor_for_runtime_claims
from apps.developer.models import ServerApiKey
from apps.identity.sessions import dashboard_sessions_live
from apps.runtime.tokens import ADMIN_READ, key_version, runtime_principal
from apps.tenants.models import Tenant, User
from ringnity.api.errors import ApiError, ErrorCode
from ringnity.api.principal import PrincipalKind

from .protocol import Close

KIND_NAMES = {PrincipalKind.VISITOR: "visitor", PrincipalKind.AGENT: "agent", PrincipalKind.ADMIN_SDK: "admin"}
#: Scopes a runtime token needs to open a socket (any one of them).
REQUIRED_SCOPES = {
    PrincipalKind.VISITOR: {"visitor:chat"},
    PrincipalKind.AGENT: {"agent:conversations:read"},
    PrincipalKind.ADMIN_SDK: {ADMIN_READ, "admin:reports:read"},
}
#: The scope of the call link's credential: with ``ctx.callSession`` it opens a socket bound to that call.
CALL_BOUND_SCOPE = "visitor:calls"


@dataclasses.dataclass
class Listener:
    """The authenticated holder of one socket (plain data: the gateway's event loop reads it freely)."""

    kind: str  # visitor | agent | admin
    tenant_pk: int
    tenant_id: str
    subject: str  # the id shown to the client: visitor public id, agent public id, admin subject
    expires_at: datetime | None
    visitor_pk: int | None = None
    agent_pk: int | None = None
    agent_supervising: bool = False
    agent_department_id: str | None = None  # public id
    chat_session_id: str = ""  # set when the token was a chat session token
    issued_by_key: str = ""  # agent/admin runtime tokens: the Server API key that minted them
    key_version: str = ""
    issued_by_session: str = ""  # an exchanged agent token: the dashboard login (session family) it came from
    call_session_id: str = ""  # a call-bound visitor credential: the one call session it may signal

    def same_principal(self, other: Listener) -> bool:
        mine = (self.kind, self.tenant_pk, self.subject, self.call_session_id)
        return mine == (other.kind, other.tenant_pk, other.subject, other.call_session_id)

    def principal_frame(self) -> dict:
        frame = {"kind": self.kind, "id": self.subject, "tenantId": self.tenant_id}
        if self.call_session_id:
            frame["callSessionId"] = self.call_session_id
        return frame


class AuthRefused(Exception):
    def __init__(self, close: Close, code: ErrorCode, message: str):
        super().__init__(message)
        self.close, self.code, self.message = close, code, message


def _refused(exc: ApiError) -> AuthRefused:
    close = Close.TOKEN_EXPIRED if exc.code == ErrorCode.TOKEN_EXPIRED else Close.AUTH_FAILED
    return AuthRefused(close, exc.code, exc.message)


def listener_authenticate(raw: str) -> Listener:
    """The listener a token names; ``AuthRefused`` (with the close code) when it does not hold."""
    try:
        if raw.startswith(CHAT_SESSION_TOKEN_PREFIX):
            principal = chat_session_principal(raw)
            visitor = principal.credential
            return Listener(
                kind="visitor",
                tenant_pk=principal.tenant.pk,
                tenant_id=principal.tenant.public_id,
                subject=visitor.public_id,
                expires_at=None,
                visitor_pk=visitor.pk,
                chat_session_id=principal.token_id,
            )
        user, principal = runtime_principal(raw)
    except ApiError as exc:
        raise _refused(exc) from exc
    context = principal.claims["ctx"]
    bound = context.get("callSession") if principal.kind == PrincipalKind.VISITOR else None
    if bound is not None and (not isinstance(bound, str) or CALL_BOUND_SCOPE not in principal.scopes):
        raise AuthRefused(Close.FORBIDDEN, ErrorCode.PERMISSION_DENIED, "The call credential is malformed.")
    if bound is None and not principal.scopes & REQUIRED_SCOPES[principal.kind]:
        needed = " or ".join(sorted(REQUIRED_SCOPES[principal.kind]))
        raise AuthRefused(Close.FORBIDDEN, ErrorCode.PERMISSION_DENIED, f"The token lacks the scope {needed}.")
    tenant = principal.tenant
    listener = Listener(
        kind=KIND_NAMES[principal.kind],
        tenant_pk=tenant.pk,
        tenant_id=tenant.public_id,
        subject=principal.subject,
        expires_at=datetime.fromtimestamp(principal.claims["exp"], tz=UTC),
        issued_by_key=str(context.get("issuedByKey", "")),
        key_version=str(context.get("keyVersion", "")),
        issued_by_session=str(context.get("issuedBySession", "")),
        call_session_id=bound or "",
    )
    if principal.kind == PrincipalKind.VISITOR:
        visitor = visitor_for_runtime_claims(tenant=tenant, claims=principal.claims)
        listener.visitor_pk, listener.subject = visitor.pk, visitor.public_id
    elif principal.kind == PrincipalKind.AGENT:
        listener.agent_pk = user.pk
        listener.agent_supervising = user.role in SUPERVISING_ROLES
        listener.agent_department_id = user.department.public_id if user.department_id else None
    return listener


def listeners_revoked(listeners: list[Listener]) -> dict[int, tuple[Close, str]]:
    """``{index: (close code, reason)}`` of the listeners whose credential no longer holds.

    Also refreshes what an agent may read (role, department) in place. Five queries at most.
    """
    now = timezone.now()
    revoked: dict[int, tuple[Close, str]] = {}
    for index, listener in enumerate(listeners):
        if listener.expires_at is not None and listener.expires_at <= now:
            revoked[index] = (Close.TOKEN_EXPIRED, "The token expired: authenticate again.")
    inactive = set(
        Tenant.objects.filter(pk__in={item.tenant_pk for item in listeners}, is_active=False).values_list(
            "pk", flat=True
        )
    )
    sessions = {item.chat_session_id for item in listeners if item.chat_session_id}
    live_sessions = set(
        ChatSession.objects.cross_tenant()
        .filter(public_id__in=sessions, revoked_at__isnull=True, expires_at__gt=now)
        .values_list("public_id", flat=True)
        if sessions
        else []
    )
    keys = {item.issued_by_key for item in listeners if item.issued_by_key}
    versions = {
        (key.tenant_id, key.public_id): key_version(key)
        for key in (
            ServerApiKey.objects.cross_tenant()
            .filter(public_id__in=keys, is_active=True)
            .only("tenant_id", "public_id", "secret_digest")
            if keys
            else []
        )
    }
    live_logins = dashboard_sessions_live({item.issued_by_session for item in listeners if item.issued_by_session})
    agents = {item.agent_pk for item in listeners if item.agent_pk}
    users = {
        row["pk"]: row
        for row in (
            User.objects.filter(pk__in=agents, is_active=True).values("pk", "role", "department__public_id")
            if agents
            else []
        )
    }
    for index, listener in enumerate(listeners):
        if index in revoked:
            continue
        if listener.tenant_pk in inactive:
            revoked[index] = (Close.REVOKED, "The tenant is inactive.")
        elif listener.chat_session_id and listener.chat_session_id not in live_sessions:
            revoked[index] = (Close.REVOKED, "The chat session was revoked or has expired.")
        elif listener.issued_by_key and versions.get((listener.tenant_pk, listener.issued_by_key)) != (
            listener.key_version
        ):
            revoked[index] = (Close.REVOKED, "The Server API key that issued this token was disabled or rotated.")
        elif listener.issued_by_session and listener.issued_by_session not in live_logins:
            revoked[index] = (Close.REVOKED, "The dashboard login that issued this token ended.")
        elif listener.agent_pk:
            row = users.get(listener.agent_pk)
            if row is None:
                revoked[index] = (Close.REVOKED, "This agent is no longer active.")
            else:
                listener.agent_supervising = row["role"] in SUPERVISING_ROLES
                listener.agent_department_id = row["department__public_id"]
    return revoked
