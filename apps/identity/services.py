"""Dashboard sign-in: owner (e-mail + password, Google), workspace (username + password, entry token).

Login answers are the same for an unknown account and a wrong password (and take
the same time: an unknown account still pays for one password hash). Only after
the password is right does a disabled account or tenant get its own answer.
Failures are throttled per client IP and per account (``ringnity.api.throttling``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from apps.identity.google import GoogleIdentity, verify_google_id_token
from apps.identity.models import WorkspaceEntryToken
from apps.identity.sessions import SessionScope, SessionTokens, session_issue, user_may_hold_session
from apps.tenants.models import RESERVED_SLUGS, StaffRole, Tenant, User
from ringnity.api.errors import ApiError, ErrorCode, validation_failed
from ringnity.api.identifiers import login_email
from ringnity.api.secrets import secret_digest
from ringnity.api.throttling import LoginThrottle

ENTRY_TOKEN_LIFETIME = timedelta(seconds=60)
ENTRY_TOKEN_RETENTION = timedelta(hours=1)
OWNER_LOGIN_THROTTLE = LoginThrottle("owner-login")
GOOGLE_LOGIN_THROTTLE = LoginThrottle("owner-google-login")
WORKSPACE_LOGIN_THROTTLE = LoginThrottle("workspace-login")
ENTRY_TOKEN_THROTTLE = LoginThrottle("workspace-auto-login")


def _invalid_credentials() -> ApiError:
    return ApiError(ErrorCode.AUTH_INVALID_CREDENTIALS, "Invalid credentials.", status=401)


def _account_disabled() -> ApiError:
    return ApiError(ErrorCode.AUTH_ACCOUNT_DISABLED, "This account or its workspace is disabled.", status=403)


def _password_matches(user: User | None, password: str) -> bool:
    """Checks the password; an unknown user costs one hash too, so timing tells nothing.

    ``make_password``, not ``set_password`` on a shared dummy user: that would keep the last
    attempted password (in ``_password``) in the process for good.
    """
    if user is None:
        make_password(password)
        return False
    return user.check_password(password)


# --- URLs -------------------------------------------------------------------


def workspace_base_url(tenant: Tenant) -> str:
    """``{scheme}://{slug}.<RINGNITY_BASE_DOMAIN>[:port]``; scheme and port from RINGNITY_DASHBOARD_URL."""
    parts = urlsplit(settings.RINGNITY_DASHBOARD_URL)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme or 'https'}://{tenant.slug}.{settings.RINGNITY_BASE_DOMAIN}{port}"


def workspace_auto_login_url(tenant: Tenant, token: str) -> str:
    return f"{workspace_base_url(tenant)}/auto-login?{urlencode({'token': token})}"


# --- Owner ------------------------------------------------------------------


@dataclass(frozen=True)
class GoogleLoginResult:
    tokens: SessionTokens | None
    identity: GoogleIdentity


def owner_authenticate(*, email: str, password: str, ip: str) -> User:
    """The owner with this e-mail and password (throttled; the same 401 for unknown and wrong).

    ``email`` is looked up in its sign-in form (``ringnity.api.identifiers.login_email``), the form
    the throttle counts, so no spelling of an address gets attempts of its own.
    """
    address = login_email(email)
    OWNER_LOGIN_THROTTLE.check(ip=ip, account=address or email)
    owner = (
        User.objects.select_related("tenant").filter(role=StaffRole.OWNER, email__iexact=address).first()
        if address
        else None
    )
    if not _password_matches(owner, password or ""):
        OWNER_LOGIN_THROTTLE.record_failure(ip=ip, account=address or email)
        raise _invalid_credentials()
    OWNER_LOGIN_THROTTLE.reset(account=address)
    if not user_may_hold_session(owner, SessionScope.OWNER):
        raise _account_disabled()
    return owner


def owner_login(*, email: str, password: str, ip: str) -> SessionTokens:
    return session_issue(user=owner_authenticate(email=email, password=password, ip=ip), scope=SessionScope.OWNER)


def owner_login_with_google(*, id_token: str, ip: str) -> GoogleLoginResult:
    """A verified Google identity of a known owner gets a session; an unknown e-mail gets the profile only."""
    GOOGLE_LOGIN_THROTTLE.check(ip=ip)
    try:
        identity = verify_google_id_token(id_token)
    except ApiError as exc:
        if exc.status == 401:
            GOOGLE_LOGIN_THROTTLE.record_failure(ip=ip)
        raise
    address = login_email(identity.email)
    owners = User.objects.select_related("tenant").filter(role=StaffRole.OWNER, email__iexact=address)
    owner = owners.first() if address else None
    if owner is None:
        return GoogleLoginResult(tokens=None, identity=identity)
    if not user_may_hold_session(owner, SessionScope.OWNER):
        raise _account_disabled()
    return GoogleLoginResult(tokens=session_issue(user=owner, scope=SessionScope.OWNER), identity=identity)


# --- Workspace --------------------------------------------------------------


@transaction.atomic
def workspace_entry_token_create(*, owner: User) -> tuple[str, WorkspaceEntryToken]:
    """A one-time ticket (60 s) from the owner session into the owner's own workspace. Stored as a digest."""
    if not user_may_hold_session(owner, SessionScope.OWNER):
        raise _account_disabled()
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    # Spent and expired tickets are useless: sweep the tenant's old ones (index tenant, expires_at).
    WorkspaceEntryToken.objects.for_tenant(owner.tenant).filter(expires_at__lt=now - ENTRY_TOKEN_RETENTION).delete()
    entry = WorkspaceEntryToken.objects.create(
        tenant=owner.tenant,
        user=owner,
        token_digest=secret_digest(token),
        expires_at=now + ENTRY_TOKEN_LIFETIME,
    )
    return token, entry


def workspace_entry_token_redeem(*, token: str, tenant_slug: str = "", ip: str) -> SessionTokens:
    """Exchanges an entry token, once, for a workspace session.

    The single use is one conditional UPDATE (``... WHERE used_at IS NULL AND
    expires_at > now``): of two concurrent redemptions exactly one updates the row.
    It runs in its own transaction so the token is spent even if the login then fails.
    A request made for another workspace (``tenant_slug`` from the host or dev header) is refused.
    """
    ENTRY_TOKEN_THROTTLE.check(ip=ip)
    invalid = ApiError(ErrorCode.AUTH_TOKEN_INVALID, "The entry token is invalid, expired or already used.", 401)
    digest = secret_digest(token or "")
    now = timezone.now()
    with transaction.atomic():
        spent = (
            WorkspaceEntryToken.objects.cross_tenant()
            .filter(token_digest=digest, used_at__isnull=True, expires_at__gt=now)
            .update(used_at=now)
        )
    if spent != 1:
        ENTRY_TOKEN_THROTTLE.record_failure(ip=ip)
        raise invalid
    entry = WorkspaceEntryToken.objects.cross_tenant().select_related("user__tenant").get(token_digest=digest)
    if tenant_slug and tenant_slug != entry.user.tenant.slug:
        raise invalid
    user = entry.user
    if user.tenant_id != entry.tenant_id or not user_may_hold_session(user, SessionScope.WORKSPACE):
        raise _account_disabled()
    return session_issue(user=user, scope=SessionScope.WORKSPACE)


def workspace_authenticate(*, tenant: Tenant | None, tenant_slug: str, username: str, password: str, ip: str) -> User:
    """The staff member ``username`` of ``tenant`` with this password (throttled; one 401 for unknown and wrong).

    Usernames are ASCII (``USERNAME_VALIDATOR``) and matched exactly; the throttle counts the folded
    ``slug:username``, so case or compatibility spellings share one counter.
    """
    username = (username or "").strip()
    account = f"{tenant_slug}:{username}"
    WORKSPACE_LOGIN_THROTTLE.check(ip=ip, account=account)
    user = None
    if tenant is not None and username:
        user = User.objects.select_related("tenant").filter(tenant=tenant, username=username).first()
    if not _password_matches(user, password or ""):
        WORKSPACE_LOGIN_THROTTLE.record_failure(ip=ip, account=account)
        raise _invalid_credentials()
    WORKSPACE_LOGIN_THROTTLE.reset(account=account)
    if not user_may_hold_session(user, SessionScope.WORKSPACE):
        raise _account_disabled()
    return user


def workspace_login(*, tenant: Tenant | None, tenant_slug: str, username: str, password: str, ip: str) -> SessionTokens:
    """Username + password within the workspace ``tenant`` (from the request host or the dev header)."""
    user = workspace_authenticate(tenant=tenant, tenant_slug=tenant_slug, username=username, password=password, ip=ip)
    return session_issue(user=user, scope=SessionScope.WORKSPACE)


def workspace_slug_from_host(host: str) -> str:
    """``acme`` for ``acme.<RINGNITY_BASE_DOMAIN>[:port]``; "" for any other host."""
    hostname = (host or "").strip().lower()
    if hostname.startswith("["):
        return ""
    hostname = hostname.rsplit(":", 1)[0] if ":" in hostname else hostname
    suffix = "." + settings.RINGNITY_BASE_DOMAIN.strip().lower().strip(".")
    if not hostname.endswith(suffix):
        return ""
    slug = hostname[: -len(suffix)]
    # api.<base>, www.<base> ... are never workspaces (reserved slugs): there the header decides.
    return slug if slug and "." not in slug and slug not in RESERVED_SLUGS else ""


def workspace_tenant_resolve(*, host: str, header_slug: str) -> tuple[Tenant | None, str]:
    """The workspace a login is for: the host's subdomain, else the ``X-Ringnity-Tenant`` header.

    The header is for local development, where there is no per-tenant host; the host wins when
    both are present. Returns ``(tenant or None, slug asked for)``; a missing tenant is treated
    by the caller like wrong credentials, so slugs cannot be probed any faster than passwords.
    """
    if not settings.RINGNITY_ALLOW_TENANT_HEADER:
        header_slug = ""  # production: the workspace host is the only way to name a tenant
    slug = workspace_slug_from_host(host) or (header_slug or "").strip().lower()
    if not slug:
        hint = " or send X-Ringnity-Tenant" if settings.RINGNITY_ALLOW_TENANT_HEADER else ""
        raise validation_failed(
            [f"tenant: sign in on your workspace host (<slug>.<domain>){hint}."],
        )
    return Tenant.objects.filter(slug=slug).first(), slug
