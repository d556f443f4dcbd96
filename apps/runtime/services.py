"""Writes for SDK runtimes: runtime sessions, Server-API-issued runtime tokens, device push tokens."""

from __future__ import annotations

import hashlib
import json
import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.developer.models import AllowedDomain, ServerApiKey
from apps.runtime.models import DevicePushToken
from apps.runtime.origins import origin_candidates
from apps.runtime.tokens import (
    ADMIN_SCOPES,
    AGENT_SCOPES,
    DEFAULT_TTL_SECONDS,
    VISITOR_SCOPES,
    IssuedToken,
    RuntimeTokenExpired,
    RuntimeTokenInvalid,
    TokenKind,
    issuing_key_context,
    issuing_session_context,
    token_decode,
    token_issue,
)
from apps.tenants.models import StaffRole, Tenant, User
from ringnity.api.errors import ApiError, ErrorCode, not_found, validation_failed
from ringnity.api.phones import phone_for_tenant
from ringnity.api.principal import PrincipalKind
from ringnity.api.secrets import secret_digest

MAX_CONTEXT_METADATA_BYTES = 4096
SUBJECT_MAX_LENGTH = DevicePushToken._meta.get_field("subject").max_length
_IDENTITY_FIELDS = ("externalId", "name", "email", "phone")


def origin_allowed_for_tenant(*, tenant: Tenant, origin: str | None) -> bool:
    """One indexed query: does any stored entry of ``tenant`` allow ``origin``?"""
    candidates = origin_candidates(origin)
    return bool(candidates) and AllowedDomain.objects.for_tenant(tenant).filter(domain__in=candidates).exists()


def origin_allowed_for_any_tenant(*, origin: str | None) -> bool:
    """Preflights that cannot name their tenant: is ``origin`` on any active tenant's list? (Cross-tenant.)"""
    candidates = origin_candidates(origin)
    return (
        bool(candidates)
        and AllowedDomain.objects.cross_tenant().filter(domain__in=candidates, tenant__is_active=True).exists()
    )


def _identity(visitor: dict | None, *, tenant: Tenant) -> dict:
    """The stated identity's non-blank fields; the phone as stored (E.164, else 400 naming ``visitor.phone``)."""
    identity = {key: str(visitor[key]) for key in _IDENTITY_FIELDS if visitor and visitor.get(key)}
    if "phone" in identity:
        identity["phone"] = phone_for_tenant(identity["phone"], tenant=tenant, field="visitor.phone")
    return identity


def visitor_context_token_issue(*, tenant: Tenant, visitor: dict | None, metadata: dict | None, expires_in: int):
    """Signs the customer backend's statement "this visitor is X" for ``createRuntimeSession``."""
    metadata = metadata or {}
    if len(json.dumps(metadata, default=str)) > MAX_CONTEXT_METADATA_BYTES:
        raise validation_failed([f"metadata: at most {MAX_CONTEXT_METADATA_BYTES} bytes of JSON."])
    identity = _identity(visitor, tenant=tenant)
    subject = identity.get("externalId") or identity.get("email") or f"anon_{secrets.token_hex(8)}"
    return token_issue(
        kind=TokenKind.VISITOR_CONTEXT,
        tenant=tenant,
        subject=subject,
        scopes=[],
        expires_in=expires_in,
        context={"visitor": identity, "metadata": metadata},
    )


def _verified_context(tenant: Tenant, context_token: str) -> dict:
    invalid = ApiError(ErrorCode.SDK_CONTEXT_TOKEN_INVALID, "The visitor context token is invalid.", status=401)
    try:
        claims = token_decode(context_token, kinds={TokenKind.VISITOR_CONTEXT})
    except (RuntimeTokenExpired, RuntimeTokenInvalid) as exc:
        raise invalid from exc
    if claims["tid"] != tenant.public_id:
        raise invalid
    return claims


def _verified_subject(external: str) -> str:
    """``ext:<id>``; an id too long to store as a subject is replaced by its digest (stable: one visitor)."""
    subject = f"ext:{external}"
    if len(subject) <= SUBJECT_MAX_LENGTH:
        return subject
    return f"ext:sha256:{hashlib.sha256(external.encode()).hexdigest()}"


def runtime_session_create(
    *, tenant: Tenant, origin: str | None, visitor: dict | None, context_token: str | None
) -> IssuedToken:
    """A visitor runtime token for ``tenant`` (already resolved from its slug or public key).

    * an ``Origin`` must be on the tenant's allowed domains (403 SDK_ORIGIN_NOT_ALLOWED);
      requests without one (mobile apps, servers) are not browser-bound and pass;
    * a ``contextToken`` must verify for this tenant (401 SDK_CONTEXT_TOKEN_INVALID), and its
      identity replaces any identity in the body: the subject is then the customer's
      external id (``ext:...``); an unverified visitor always gets a fresh random subject.
    """
    if origin is not None and not origin_allowed_for_tenant(tenant=tenant, origin=origin):
        raise ApiError(ErrorCode.SDK_ORIGIN_NOT_ALLOWED, "This origin is not an allowed domain.", status=403)
    if context_token:
        claims = _verified_context(tenant, context_token)
        identity, verified = claims["ctx"].get("visitor", {}), True
        subject = _verified_subject(claims["sub"])
        context_metadata = claims["ctx"].get("metadata", {})
    else:
        identity, verified = _identity(visitor, tenant=tenant), False
        subject = f"vis_{secrets.token_hex(12)}"
        context_metadata = {}
    return token_issue(
        kind=TokenKind.VISITOR,
        tenant=tenant,
        subject=subject,
        scopes=VISITOR_SCOPES,
        expires_in=DEFAULT_TTL_SECONDS,
        context={"visitor": identity, "verified": verified, "metadata": context_metadata},
    )


def agent_token_issue(
    *,
    tenant: Tenant,
    key: ServerApiKey,
    agent_id: str = "",
    username: str = "",
    scopes: list[str] | None,
    expires_in: int,
) -> IssuedToken:
    """An agent runtime token for an active staff member of ``tenant`` (404 otherwise), minted by ``key``."""
    staff = User.objects.filter(tenant=tenant, is_active=True)
    if agent_id:
        agent = staff.filter(public_id=agent_id).first()
    elif username:
        agent = staff.filter(username=username).first()
    else:
        raise validation_failed(["agentId: agentId or username is required."])
    if agent is None:
        raise not_found("Agent")
    granted = _granted(scopes, AGENT_SCOPES)
    return token_issue(
        kind=TokenKind.AGENT,
        tenant=tenant,
        subject=agent.public_id,
        scopes=granted,
        expires_in=expires_in,
        context={**_agent_context(agent), **issuing_key_context(key)},
    )


def _agent_context(agent: User) -> dict:
    return {"name": agent.display_name, "username": agent.username, "role": agent.role}


def agent_token_exchange(
    *, tenant: Tenant, user: User, session_family: str, scopes: list[str] | None, expires_in: int
) -> IssuedToken:
    """An agent runtime token for ``user``, the staff member signed in to the workspace dashboard, bound to
    that login (``session_family``): it stops working when the login ends (``tokens.runtime_principal``)."""
    if not session_family:
        raise ApiError(ErrorCode.AUTH_TOKEN_INVALID, "This session cannot be exchanged.", status=401)
    return token_issue(
        kind=TokenKind.AGENT,
        tenant=tenant,
        subject=user.public_id,
        scopes=_granted(scopes, AGENT_SCOPES),
        expires_in=expires_in,
        context={**_agent_context(user), **issuing_session_context(session_family)},
    )


def admin_token_issue(
    *, tenant: Tenant, key: ServerApiKey, actor_id: str, name: str, role: str, scopes: list[str] | None, expires_in: int
) -> IssuedToken:
    """An admin/reporting runtime token minted by ``key``. The actor is the customer's own admin (free-form id)."""
    granted = _granted(scopes, ADMIN_SCOPES)
    return token_issue(
        kind=TokenKind.ADMIN,
        tenant=tenant,
        subject=actor_id or f"server-key:{key.public_id}",
        scopes=granted,
        expires_in=expires_in,
        context={"name": name, "role": role or StaffRole.ADMIN.value, **issuing_key_context(key)},
    )


def _granted(requested: list[str] | None, allowed: frozenset[str]) -> frozenset[str]:
    """Requested scopes ∩ what the kind may hold; none requested = all of them."""
    if not requested:
        return allowed
    granted = allowed & set(requested)
    if not granted:
        raise validation_failed(
            [f"scopes: none of the requested scopes is allowed; allowed: {', '.join(sorted(allowed))}."],
        )
    return granted


# --- device push tokens ------------------------------------------------------------


def device_identity(principal) -> dict:
    """Who a device belongs to comes from the session, never from the body.

    Push senders target devices by ``externalId`` and ``agentId``, so an unverified visitor
    must not claim a customer's id: ``externalId`` is the verified one from a context token
    (else empty); ``agentId`` is the agent of an agent session (else empty).
    """
    context = principal.claims.get("ctx", {})
    verified_id = context.get("visitor", {}).get("externalId", "") if context.get("verified") else ""
    return {
        "external_id": verified_id if principal.kind == PrincipalKind.VISITOR else "",
        "agent_id": principal.subject if principal.kind == PrincipalKind.AGENT else "",
    }


def _register_once(*, tenant: Tenant, subject: str, fields: dict) -> DevicePushToken:
    devices = DevicePushToken.objects.for_tenant(tenant).select_for_update()
    digest = secret_digest(fields["token"])
    # Holding the push token proves possession of the device: that row moves to this subject.
    device = devices.filter(provider=fields["provider"], token_digest=digest).first()
    if device is None and fields.get("device_id"):
        device = (
            devices.filter(subject=subject, device_id=fields["device_id"], provider=fields["provider"])
            .order_by("-updated_at")
            .first()
        )
    if device is None:
        device = DevicePushToken(tenant=tenant)
    for key, value in fields.items():
        setattr(device, key, value)
    device.token_digest = digest
    device.subject = subject
    device.enabled = True
    device.last_seen_at = timezone.now()
    device.save()
    return device


def device_register(*, tenant: Tenant, subject: str, fields: dict) -> DevicePushToken:
    """Upserts by (tenant, provider, token) or by this subject's (tenant, deviceId); refreshes lastSeenAt."""
    for attempt in range(3):
        try:
            with transaction.atomic():
                return _register_once(tenant=tenant, subject=subject, fields=fields)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


@transaction.atomic
def device_unregister(*, tenant: Tenant, subject: str, device_id: str = "", provider: str = "", token: str = "") -> int:
    """Disables this subject's devices matching ``deviceId`` or ``token``; returns how many."""
    if not device_id and not token:
        raise ApiError(
            ErrorCode.SDK_DEVICE_TOKEN_INVALID, "Send deviceId or token.", details=["deviceId: or token is required."]
        )
    devices = DevicePushToken.objects.for_tenant(tenant).filter(subject=subject, enabled=True)
    if device_id:
        devices = devices.filter(device_id=device_id)
    if token:
        devices = devices.filter(provider=provider or "fcm", token_digest=secret_digest(token))
    return devices.update(enabled=False, updated_at=timezone.now())
