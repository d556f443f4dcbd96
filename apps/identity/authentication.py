"""Authentication classes for the dashboard and platform schemes (simplejwt access tokens).

Each sets ``request.auth`` to a ``Principal``. A JWT of one ``scope`` is never
accepted by a class expecting another.
"""

from rest_framework_simplejwt.exceptions import ExpiredTokenError, TokenError
from rest_framework_simplejwt.tokens import AccessToken

from apps.identity.sessions import SessionScope, session_family_revoked, user_may_hold_session
from apps.tenants.models import PLATFORM_WRITE_ROLES, User
from ringnity.api.authentication import PrincipalAuthentication, bearer_token
from ringnity.api.errors import ApiError, ErrorCode
from ringnity.api.principal import Principal, PrincipalKind

_KIND_BY_SCOPE = {
    SessionScope.OWNER: PrincipalKind.OWNER,
    SessionScope.WORKSPACE: PrincipalKind.WORKSPACE,
    SessionScope.PLATFORM: PrincipalKind.PLATFORM,
}
PLATFORM_READ = "platform:read"
PLATFORM_WRITE = "platform:write"


def _token_invalid(message: str = "The access token is invalid.") -> ApiError:
    return ApiError(ErrorCode.AUTH_TOKEN_INVALID, message, status=401)


class ScopedJWTAuthentication(PrincipalAuthentication):
    """Bearer simplejwt access tokens whose ``scope`` claim is one of ``accepted_scopes``."""

    accepted_scopes: frozenset[SessionScope] = frozenset()

    def authenticate(self, request):
        raw = bearer_token(request)
        if raw is None:
            return None
        try:
            token = AccessToken(raw)
        except ExpiredTokenError as exc:
            raise ApiError(ErrorCode.TOKEN_EXPIRED, "The access token has expired.", status=401) from exc
        except TokenError as exc:
            raise _token_invalid() from exc
        try:
            scope = SessionScope(token.get("scope"))
        except ValueError as exc:
            raise _token_invalid() from exc
        if scope not in self.accepted_scopes:
            raise _token_invalid("This token is not accepted for this operation.")
        if session_family_revoked(token.get("fam")):
            raise _token_invalid("This session has ended.")
        user = User.objects.select_related("tenant").filter(pk=token.get("user_id")).first()
        if user is None or not user_may_hold_session(user, scope):
            raise _token_invalid("The account behind this token is disabled.")
        if scope != SessionScope.PLATFORM and token.get("tid") != user.tenant.public_id:
            raise _token_invalid()
        return user, Principal(
            kind=_KIND_BY_SCOPE[scope],
            tenant=user.tenant if scope != SessionScope.PLATFORM else None,
            user=user,
            subject=user.public_id,
            scopes=_scopes_for(user, scope),
            token_id=str(token.get("jti", "")),
            claims=dict(token.payload),
        )


def _scopes_for(user: User, scope: SessionScope) -> frozenset[str]:
    if scope == SessionScope.PLATFORM:
        writes = {PLATFORM_WRITE} if user.platform_role in PLATFORM_WRITE_ROLES else set()
        return frozenset({PLATFORM_READ, *writes})
    return frozenset({f"dashboard:{user.role}"})


class OwnerJWTAuthentication(ScopedJWTAuthentication):
    security_scheme = "OwnerBearer"
    accepted_scopes = frozenset({SessionScope.OWNER})


class WorkspaceJWTAuthentication(ScopedJWTAuthentication):
    security_scheme = "WorkspaceBearer"
    accepted_scopes = frozenset({SessionScope.WORKSPACE})


class DashboardJWTAuthentication(ScopedJWTAuthentication):
    security_scheme = "DashboardBearer"
    accepted_scopes = frozenset({SessionScope.OWNER, SessionScope.WORKSPACE})


class PlatformJWTAuthentication(ScopedJWTAuthentication):
    security_scheme = "PlatformBearer"
    accepted_scopes = frozenset({SessionScope.PLATFORM})
