"""The one signed token format for SDK runtimes, and the RuntimeBearer authentication class.

Format: an HS256 JWT signed with a key derived from ``SECRET_KEY`` for this purpose
only (so it can never verify as a dashboard JWT, which simplejwt signs with
``SIMPLE_JWT["SIGNING_KEY"]``, and vice versa). Claims:

* ``knd`` — ``visitor`` | ``agent`` | ``admin`` (runtime sessions) or
  ``visitor_context`` (a customer backend's signed visitor identity; never a session);
* ``tid`` — the tenant's public id; ``sub`` — the subject (visitor id, agent public id,
  admin actor id); ``scp`` — scopes; ``exp``/``iat``; ``jti`` — a random token id;
* ``ctx`` — kind-specific data (visitor identity, agent name, admin role; for agent and admin
  tokens, which a Server API key mints, ``issuedByKey`` and ``keyVersion``; for an agent token a
  workspace dashboard login exchanged, ``issuedBySession``: that login's session family).

Runtime tokens are sent back in ``X-Ringnity-SDK-Session``. ``RuntimeBearerAuthentication``
verifies them and produces a ``Principal`` of kind VISITOR, AGENT or ADMIN_SDK; the view's
``accepted_principals`` then refuses the wrong kind (401). The tenant must still be
active, and for agent tokens the agent must still be an active staff member. Agent and
admin tokens live up to a day, so they also end when the key that minted them is disabled
or rotated (``keyVersion`` is an opaque tag of the key's secret at issue time); an exchanged agent
token (up to an hour) ends when the dashboard login it came from ends (logout, refresh-token reuse).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import jwt
from django.conf import settings
from django.utils import timezone

from apps.developer.models import ServerApiKey
from apps.identity.sessions import dashboard_session_live, session_family_revoked
from apps.tenants.models import Tenant, User
from ringnity.api.authentication import PrincipalAuthentication
from ringnity.api.errors import ApiError, ErrorCode
from ringnity.api.outputs import iso_utc
from ringnity.api.principal import Principal, PrincipalKind

SESSION_HEADER = "X-Ringnity-SDK-Session"
_ALGORITHM = "HS256"
_ISSUER = "ringnity-runtime"

DEFAULT_TTL_SECONDS = 900
MIN_TTL_SECONDS = 60
MAX_TTL_SECONDS = 86400
#: An agent token exchanged for a dashboard login (``createWorkspaceAgentToken``) lives at most this long.
EXCHANGE_MAX_TTL_SECONDS = 3600


class TokenKind(StrEnum):
    VISITOR = "visitor"
    AGENT = "agent"
    ADMIN = "admin"
    VISITOR_CONTEXT = "visitor_context"


PRINCIPAL_KIND = {
    TokenKind.VISITOR: PrincipalKind.VISITOR,
    TokenKind.AGENT: PrincipalKind.AGENT,
    TokenKind.ADMIN: PrincipalKind.ADMIN_SDK,
}

# --- The runtime scope catalog (what each kind of runtime token may carry) -------------
DEVICES_WRITE = "runtime:devices:write"
VISITOR_SCOPES = frozenset({"visitor:chat", "visitor:calls", "visitor:ai", DEVICES_WRITE})
AGENT_SCOPES = frozenset(
    {
        "agent:profile:read",
        "agent:presence:read",
        "agent:presence:write",
        "agent:conversations:read",
        "agent:conversations:write",
        "agent:conversations:assign",
        "agent:conversations:close",
        "agent:media:delete",
        "agent:calls:write",
        DEVICES_WRITE,
    }
)
ADMIN_READ = "admin:read"
ADMIN_SCOPES = frozenset(
    {ADMIN_READ, "admin:reports:read", "admin:reports:export", "admin:knowledge:write", DEVICES_WRITE}
)


def _signing_key() -> bytes:
    return hmac.new(settings.SECRET_KEY.encode(), b"ringnity.runtime-token.v1", hashlib.sha256).digest()


def key_version(key: ServerApiKey) -> str:
    """An opaque tag of the key's current secret; it changes when the key is rotated."""
    return hashlib.sha256(b"ringnity.runtime-key-version:" + key.secret_digest.encode()).hexdigest()[:24]


def issuing_key_context(key: ServerApiKey) -> dict:
    """The ``ctx`` entries binding an agent/admin token to the Server API key that mints it."""
    return {"issuedByKey": key.public_id, "keyVersion": key_version(key)}


def issuing_session_context(session_family: str) -> dict:
    """The ``ctx`` entry binding an exchanged agent token to the dashboard login it came from."""
    return {"issuedBySession": session_family}


def _issuing_session_active(context: dict) -> bool:
    """The dashboard login (session family) has not ended: one indexed read, a cache flag first."""
    family = str(context.get("issuedBySession", ""))
    try:
        uuid.UUID(family)
    except ValueError:
        return False
    return not session_family_revoked(family) and dashboard_session_live(family)


def _issuer_active(tenant: Tenant, context: dict) -> bool:
    """What minted an agent or admin token still stands: its Server API key, or its dashboard login."""
    if "issuedBySession" in context:
        return _issuing_session_active(context)
    return _issuing_key_active(tenant, context)


def _issuing_key_active(tenant: Tenant, context: dict) -> bool:
    key = (
        ServerApiKey.objects.filter(tenant=tenant, public_id=str(context.get("issuedByKey", "")), is_active=True)
        .only("secret_digest")
        .first()
    )
    return key is not None and hmac.compare_digest(key_version(key), str(context.get("keyVersion", "")))


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_in: int
    expires_at: datetime
    scopes: tuple[str, ...]
    token_id: str

    def as_sdk_token(self) -> dict:
        """The contract's ``SdkToken``."""
        return {
            "token": self.token,
            "tokenType": "Bearer",
            "expiresIn": self.expires_in,
            "expiresAt": iso_utc(self.expires_at),
            "scopes": list(self.scopes),
        }


def token_issue(
    *,
    kind: TokenKind,
    tenant: Tenant,
    subject: str,
    scopes,
    expires_in: int = DEFAULT_TTL_SECONDS,
    context: dict | None = None,
) -> IssuedToken:
    now = timezone.now().replace(microsecond=0)
    expires_at = now + timedelta(seconds=expires_in)
    token_id = secrets.token_urlsafe(16)
    ordered = tuple(sorted(scopes))
    payload = {
        "iss": _ISSUER,
        "knd": str(kind),
        "tid": tenant.public_id,
        "sub": subject,
        "scp": list(ordered),
        "iat": int(now.timestamp()),
        "exp": int(expires_at.timestamp()),
        "jti": token_id,
        "ctx": context or {},
    }
    token = jwt.encode(payload, _signing_key(), algorithm=_ALGORITHM)
    return IssuedToken(token=token, expires_in=expires_in, expires_at=expires_at, scopes=ordered, token_id=token_id)


class RuntimeTokenExpired(Exception):
    pass


class RuntimeTokenInvalid(Exception):
    pass


def token_decode(raw: str, *, kinds: set[TokenKind]) -> dict:
    """Verified claims of a token of one of ``kinds``; raises RuntimeTokenExpired / RuntimeTokenInvalid."""
    try:
        claims = jwt.decode(
            raw,
            _signing_key(),
            algorithms=[_ALGORITHM],
            issuer=_ISSUER,
            options={"require": ["exp", "iat", "iss", "sub", "jti"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise RuntimeTokenExpired from exc
    except jwt.PyJWTError as exc:
        raise RuntimeTokenInvalid from exc
    if claims.get("knd") not in {str(k) for k in kinds} or not isinstance(claims.get("tid"), str):
        raise RuntimeTokenInvalid
    if not isinstance(claims.get("scp"), list) or not isinstance(claims.get("ctx"), dict):
        raise RuntimeTokenInvalid
    return claims


class RuntimeBearerAuthentication(PrincipalAuthentication):
    security_scheme = "RuntimeBearer"
    """``X-Ringnity-SDK-Session: <runtime token>`` → Principal VISITOR | AGENT | ADMIN_SDK."""

    missing_credentials_code = ErrorCode.SDK_SESSION_REQUIRED
    www_authenticate = f'{SESSION_HEADER} realm="sdk-runtime"'
    kinds = {TokenKind.VISITOR, TokenKind.AGENT, TokenKind.ADMIN}

    def authenticate(self, request):
        raw = request.META.get("HTTP_X_RINGNITY_SDK_SESSION", "").strip()
        if not raw:
            return None
        return runtime_principal(raw, kinds=self.kinds)


def runtime_principal(raw: str, *, kinds=frozenset(PRINCIPAL_KIND)) -> tuple[User | None, Principal]:
    """``(user, Principal)`` of a runtime token of one of ``kinds``; 401 ``ApiError`` when it does not
    hold (expired, invalid, tenant inactive, issuing key disabled or rotated, issuing dashboard login
    ended, agent deactivated).

    The one check of a runtime token: the REST header scheme and the realtime gateway's auth frame.
    """
    try:
        claims = token_decode(raw, kinds=set(kinds))
    except RuntimeTokenExpired as exc:
        raise ApiError(ErrorCode.TOKEN_EXPIRED, "The SDK session has expired.", status=401) from exc
    except RuntimeTokenInvalid as exc:
        raise ApiError(ErrorCode.AUTH_TOKEN_INVALID, "The SDK session token is invalid.", status=401) from exc
    tenant = Tenant.objects.filter(public_id=claims["tid"]).first()
    if tenant is None:
        raise ApiError(ErrorCode.AUTH_TOKEN_INVALID, "The SDK session token is invalid.", status=401)
    if not tenant.is_active:
        raise ApiError(ErrorCode.AUTH_ACCOUNT_DISABLED, "This tenant is inactive.", status=401)
    kind = TokenKind(claims["knd"])
    if kind in (TokenKind.AGENT, TokenKind.ADMIN) and not _issuer_active(tenant, claims["ctx"]):
        raise ApiError(
            ErrorCode.AUTH_TOKEN_INVALID,
            "The Server API key or the dashboard login that issued this token was disabled, rotated or ended.",
            status=401,
        )
    user = None
    if kind == TokenKind.AGENT:
        user = User.objects.filter(tenant=tenant, public_id=claims["sub"], is_active=True).first()
        if user is None:
            raise ApiError(ErrorCode.AUTH_ACCOUNT_DISABLED, "This agent is no longer active.", status=401)
    return user, Principal(
        kind=PRINCIPAL_KIND[kind],
        tenant=tenant,
        user=user,
        subject=claims["sub"],
        scopes=frozenset(claims["scp"]),
        token_id=claims["jti"],
        claims=claims,
    )
