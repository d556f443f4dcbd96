"""Dashboard and platform sessions on simplejwt: issue, rotate, revoke.

Every token carries ``scope`` (owner | workspace | platform), so one kind never
passes as another, and ``fam``, the session family: all refresh tokens that
descend from one login. Refreshing rotates (the presented token is
blacklisted); presenting an already-rotated token again is treated as theft and
revokes the whole family, including its newest token (RFC 6819 5.2.2.3 /
OAuth 2.0 Security BCP "refresh token rotation").
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from enum import StrEnum

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from apps.identity.models import SessionFamily, WorkspaceEntryToken
from apps.tenants.models import User
from ringnity.api.errors import ApiError, ErrorCode


class SessionScope(StrEnum):
    OWNER = "owner"
    WORKSPACE = "workspace"
    PLATFORM = "platform"


@dataclass(frozen=True)
class SessionTokens:
    access: str
    refresh: str
    expires_in: int  # access token lifetime, seconds
    user: User


def _invalid_refresh() -> ApiError:
    return ApiError(ErrorCode.AUTH_TOKEN_INVALID, "The refresh token is invalid, expired or revoked.", status=401)


def user_may_hold_session(user: User, scope: SessionScope) -> bool:
    """Active user of the right population; staff also need an active tenant."""
    if not user.is_active:
        return False
    if scope == SessionScope.PLATFORM:
        return user.is_platform_operator
    if user.tenant_id is None or not user.tenant.is_active:
        return False
    return scope != SessionScope.OWNER or user.role == "owner"


def _mint(user: User, scope: SessionScope, family_id: uuid.UUID) -> SessionTokens:
    refresh = RefreshToken.for_user(user)  # records an OutstandingToken row
    refresh["scope"] = scope.value
    refresh["fam"] = str(family_id)
    if user.tenant_id:
        refresh["tid"] = user.tenant.public_id
        refresh["role"] = user.role
    else:
        refresh["role"] = user.platform_role
    access = refresh.access_token
    return SessionTokens(
        access=str(access),
        refresh=str(refresh),
        expires_in=int(jwt_settings.ACCESS_TOKEN_LIFETIME.total_seconds()),
        user=user,
    )


@transaction.atomic
def session_issue(*, user: User, scope: SessionScope) -> SessionTokens:
    if not user_may_hold_session(user, scope):
        raise ApiError(ErrorCode.AUTH_ACCOUNT_DISABLED, "This account cannot sign in.", status=403)
    family = SessionFamily.objects.create(id=uuid.uuid4(), user=user, scope=scope.value)
    return _mint(user, scope, family.id)


def _decode_ignoring_blacklist(raw: str) -> dict | None:
    """Signature and expiry checked; the blacklist deliberately not (reuse detection needs it)."""
    try:
        return token_backend.decode(raw, verify=True)
    except TokenBackendError:
        return None


def _family_revoked_key(family_id: str) -> str:
    return f"session-family-revoked:{family_id}"


def session_family_revoked(family_id: str | None) -> bool:
    """True when the family was revoked; access tokens of a revoked family stop working at once.

    A cache flag (kept for one access-token lifetime) answers without a query on every request.
    """
    return bool(family_id) and cache.get(_family_revoked_key(family_id)) is not None


def dashboard_session_live(family_id: str) -> bool:
    """The login (session family) has not ended: for credentials that outlive the cache flag above,
    such as an agent runtime token exchanged for this login (``apps.runtime``)."""
    return SessionFamily.objects.filter(id=family_id, revoked_at__isnull=True).exists()


def dashboard_sessions_live(family_ids) -> set[str]:
    """Which of these logins (session family ids, as strings) have not ended: one query for many, for the
    realtime gateway's periodic check of the sockets of exchanged agent tokens."""
    valid = set()
    for family_id in family_ids:
        try:
            valid.add(str(uuid.UUID(str(family_id))))
        except ValueError:
            continue
    if not valid:
        return set()
    live = SessionFamily.objects.filter(id__in=valid, revoked_at__isnull=True).values_list("id", flat=True)
    return {str(family_id) for family_id in live}


def _revoke_family(family_id: str | None) -> None:
    if not family_id:
        return
    SessionFamily.objects.filter(id=family_id, revoked_at__isnull=True).update(revoked_at=timezone.now())
    # Set at once, not on commit: if the transaction rolls back, the flag errs on the safe side.
    cache.set(_family_revoked_key(family_id), 1, timeout=int(jwt_settings.ACCESS_TOKEN_LIFETIME.total_seconds()) + 60)


def session_refresh(*, refresh_token: str, scope: SessionScope) -> SessionTokens:
    """Rotates ``refresh_token`` into a new pair of the same family.

    The theft response (revoking the family on reuse) is committed in its own
    transaction *before* the error is raised, so the rollback of the failed
    request cannot undo it.
    """
    result = _rotate(refresh_token=refresh_token, scope=scope)
    if result is None:
        raise _invalid_refresh()
    return result


@transaction.atomic
def _rotate(*, refresh_token: str, scope: SessionScope) -> SessionTokens | None:
    payload = _decode_ignoring_blacklist(refresh_token or "")
    if not payload or payload.get("token_type") != "refresh" or payload.get("scope") != scope.value:
        return None
    jti = payload.get(jwt_settings.JTI_CLAIM)
    # order_by(): the model's default ordering joins the nullable user, and PostgreSQL refuses
    # FOR UPDATE on the nullable side of an outer join.
    outstanding = OutstandingToken.objects.select_for_update(of=("self",)).filter(jti=jti).order_by("pk").first()
    if outstanding is None:
        return None
    if BlacklistedToken.objects.filter(token=outstanding).exists():
        # A rotated (or logged-out) token came back: assume theft, end the whole family.
        _revoke_family(payload.get("fam"))
        return None
    family = SessionFamily.objects.select_related("user__tenant").filter(id=payload.get("fam")).first()
    if family is None or family.revoked_at is not None or family.scope != scope.value:
        return None
    user = family.user
    if str(user.pk) != str(payload.get(jwt_settings.USER_ID_CLAIM)) or not user_may_hold_session(user, scope):
        return None
    try:
        RefreshToken(refresh_token).blacklist()
    except TokenError:
        return None
    return _mint(user, scope, family.id)


@transaction.atomic
def session_revoke(*, refresh_token: str, scope: SessionScope) -> bool:
    """Logout: blacklists the token and ends its family. Unknown tokens are ignored (logout is idempotent)."""
    payload = _decode_ignoring_blacklist(refresh_token or "")
    if not payload or payload.get("scope") != scope.value:
        return False
    _revoke_family(payload.get("fam"))
    with contextlib.suppress(TokenError):
        RefreshToken(refresh_token).blacklist()
    return True


@transaction.atomic
def session_records_prune(*, now=None) -> dict[str, int]:
    """Deletes what can no longer authenticate anybody: expired refresh-token records (simplejwt's
    outstanding/blacklist rows), families revoked longer ago than a refresh token lives, and spent or
    expired workspace entry tokens. Run daily by Celery beat (``identity.prune_session_records``)."""
    now = now or timezone.now()
    _, per_model = OutstandingToken.objects.filter(expires_at__lt=now).delete()  # cascades to the blacklist
    tokens = per_model.get(OutstandingToken._meta.label, 0)
    families, _ = SessionFamily.objects.filter(revoked_at__lt=now - jwt_settings.REFRESH_TOKEN_LIFETIME).delete()
    entry_tokens, _ = WorkspaceEntryToken.objects.cross_tenant().filter(expires_at__lt=now).delete()
    return {"refreshTokens": tokens, "families": families, "entryTokens": entry_tokens}
