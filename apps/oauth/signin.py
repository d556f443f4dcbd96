"""Sign-in on the Login with Ringnity pages: the dashboards' own checks, throttles and answers.

Owners sign in with e-mail + password, workspace staff with tenant slug + username + password.
The throttles are the dashboards' (same cache keys), so failures on either page count together,
and an unknown account, an unknown workspace and a wrong password get the same answer.
"""

from __future__ import annotations

from django.contrib.auth.hashers import make_password

from apps.identity.sessions import SessionScope, user_may_hold_session
from apps.tenants.models import StaffRole, Tenant, User
from ringnity.api.errors import ApiError, ErrorCode
from ringnity.api.throttling import LoginThrottle

OWNER_LOGIN_THROTTLE = LoginThrottle("owner-login")
WORKSPACE_LOGIN_THROTTLE = LoginThrottle("workspace-login")


def _invalid_credentials() -> ApiError:
    return ApiError(ErrorCode.AUTH_INVALID_CREDENTIALS, "Invalid credentials.", status=401)


def _account_disabled() -> ApiError:
    return ApiError(ErrorCode.AUTH_ACCOUNT_DISABLED, "This account or its workspace is disabled.", status=403)


def _password_matches(user: User | None, password: str) -> bool:
    if user is None:
        make_password(password)  # an unknown account costs one hash too
        return False
    return user.check_password(password)


def owner_authenticate(*, email: str, password: str, ip: str) -> User:
    email = (email or "").strip().lower()
    OWNER_LOGIN_THROTTLE.check(ip=ip, account=email)
    owner = (
        User.objects.select_related("tenant").filter(role=StaffRole.OWNER, email__iexact=email).first()
        if email
        else None
    )
    if not _password_matches(owner, password or ""):
        OWNER_LOGIN_THROTTLE.record_failure(ip=ip, account=email)
        raise _invalid_credentials()
    OWNER_LOGIN_THROTTLE.reset(account=email)
    if not user_may_hold_session(owner, SessionScope.OWNER):
        raise _account_disabled()
    return owner


def workspace_authenticate(*, tenant_slug: str, username: str, password: str, ip: str) -> User:
    tenant_slug = (tenant_slug or "").strip().lower()
    username = (username or "").strip()
    account = f"{tenant_slug}:{username}".lower()
    WORKSPACE_LOGIN_THROTTLE.check(ip=ip, account=account)
    tenant = Tenant.objects.filter(slug=tenant_slug).first() if tenant_slug else None
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
