"""Visitor authentication for the chat (and call) routes.

A visitor is recognised by either credential, checked in this order:

* ``X-Ringnity-SDK-Session: <runtime token>`` — the SDK's short-lived (15 minutes) visitor
  runtime token, verified by ``RuntimeBearerAuthentication``. Its subject names the visitor
  (``vis_<hex>`` anonymous, ``ext:<id>`` verified by a context token); the ``Visitor`` row
  is created on first sight. Agent/admin runtime tokens pass through unchanged so that the
  view's ``accepted_principals`` refuses them (401), like every other RuntimeBearer route.
* ``X-Ringnity-Chat-Session: <chat session token>`` — the widget's long-lived chat session
  token from ``POST /chat/visitor/sessions`` (opaque, stored as a digest, 30 days sliding,
  revocable). It resumes the same visitor after the runtime token has expired.

Both yield ``Principal(kind=VISITOR, tenant=..., credential=<Visitor>, subject=visitor.subject)``;
``principal_visitor(principal)`` returns that ``Visitor``. A request with neither returns
``None`` (anonymous): views that touch an existing conversation answer 401
``SDK_SESSION_REQUIRED``; only the session and conversation starts accept the
``X-Ringnity-Tenant`` header alone.
"""

from __future__ import annotations

import dataclasses

from apps.chat.models import Visitor
from apps.chat.visitor_services import chat_session_authenticate, visitor_for_runtime_claims
from apps.runtime.tokens import VISITOR_SCOPES, RuntimeBearerAuthentication
from ringnity.api.authentication import CHAT_SESSION_HEADER, TENANT_HEADER, PrincipalAuthentication
from ringnity.api.errors import ErrorCode
from ringnity.api.principal import Principal, PrincipalKind


class VisitorAuthentication(PrincipalAuthentication):
    """``X-Ringnity-SDK-Session`` (visitor runtime token) or ``X-Ringnity-Chat-Session`` → VISITOR."""

    security_scheme = "RuntimeBearer"
    security_schemes = ("RuntimeBearer", "ChatSession")
    missing_credentials_code = ErrorCode.SDK_SESSION_REQUIRED
    www_authenticate = f'X-Ringnity-SDK-Session realm="sdk-runtime", {CHAT_SESSION_HEADER} realm="chat-visitor"'

    def authenticate(self, request):
        if request.META.get("HTTP_X_RINGNITY_SDK_SESSION", "").strip():
            result = RuntimeBearerAuthentication().authenticate(request)
            if result is None:
                return None
            user, principal = result
            if principal.kind != PrincipalKind.VISITOR:
                return user, principal
            visitor = visitor_for_runtime_claims(tenant=principal.tenant, claims=principal.claims)
            return None, dataclasses.replace(principal, credential=visitor)
        raw = request.META.get("HTTP_X_RINGNITY_CHAT_SESSION", "").strip()
        if not raw:
            return None
        return None, chat_session_principal(raw)


class AnonymousVisitorStartAuthentication(PrincipalAuthentication):
    """Declares the session and conversation starts' third way in: ``X-Ringnity-Tenant`` (with an allowed
    ``Origin``) and no credential. It authenticates nobody: the start service resolves the tenant and
    creates the visitor (``visitor_services.visitor_session_start``); the class puts the scheme in the
    generated docs and in the 401 that says what to send."""

    security_scheme = "AnonymousVisitorStart"
    missing_credentials_code = ErrorCode.SDK_SESSION_REQUIRED
    www_authenticate = f'{TENANT_HEADER} realm="chat-visitor-start"'

    def authenticate(self, request):
        return None


def chat_session_principal(raw: str) -> Principal:
    """The visitor principal of a chat session token (digest lookup, expiry, revocation, active tenant)."""
    session = chat_session_authenticate(raw=raw)
    visitor = session.visitor
    return Principal(
        kind=PrincipalKind.VISITOR,
        tenant=session.tenant,
        credential=visitor,
        subject=visitor.subject,
        scopes=VISITOR_SCOPES,
        token_id=session.public_id,
        claims={"chatSession": session.public_id},
    )


def principal_visitor(principal) -> Visitor | None:
    """The ``Visitor`` of a visitor principal (from either credential), else None."""
    if isinstance(principal, Principal) and principal.kind == PrincipalKind.VISITOR:
        credential = principal.credential
        return credential if isinstance(credential, Visitor) else None
    return None
