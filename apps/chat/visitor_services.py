"""Visitors, chat session tokens and the visitor's view of its conversations.

Starts (the two routes a caller may reach without a credential, README "Live chat"):
``visitor_session_start`` and ``visitor_conversation_start`` resolve the caller's visitor — the
one of its visitor runtime token or chat session token, or, with only the ``X-Ringnity-Tenant``
header and an allowed (or no) ``Origin``, a fresh anonymous visitor drawing on the anonymous-start
budget (``apps.runtime.visitor_starts``) — record the identity it states, and answer.

Public entry points other apps use (``apps.calls`` builds on them):

* ``visitor_conversation_get(visitor=, conversation_id=)`` — the visitor's own conversation
  or 404 ``NOT_FOUND`` (another visitor's or another tenant's is the same 404);
* ``conversation_get(tenant=, conversation_id=)`` — any conversation of the tenant or 404.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from apps.chat.conversation_services import conversation_start, visitor_open_conversation
from apps.chat.models import ChatSession, Conversation, Visitor
from apps.chat.services import contact_upsert
from apps.runtime.bootstrap import tenant_resolve_public
from apps.runtime.services import origin_allowed_for_tenant
from apps.runtime.visitor_starts import anonymous_start_charge
from ringnity.api.authentication import CHAT_SESSION_HEADER, SDK_SESSION_HEADER
from ringnity.api.errors import ApiError, ErrorCode, not_found
from ringnity.api.phones import phone_for_tenant, phone_or_blank
from ringnity.api.principal import Principal, PrincipalKind
from ringnity.api.secrets import secret_digest

CHAT_SESSION_TTL = timedelta(days=30)
# The sliding expiry is pushed forward at most once per this interval (not one write per request).
CHAT_SESSION_SLIDE_STEP = timedelta(hours=1)
CHAT_SESSION_TOKEN_PREFIX = "rn_cs_"  # noqa: S105 - a prefix, not a secret
CHAT_SCOPE = "visitor:chat"
TENANT_HEADER = "X-Ringnity-Tenant"
_IDENTITY_FIELDS = {"externalId": "external_id", "name": "name", "email": "email", "phone": "phone"}
_PUBLIC_ID_MAX = 32
METADATA_MAX_BYTES = 4096


def _identity_values(identity: dict | None, *, tenant, signed: bool = False) -> dict:
    """Model field values from a contract ``VisitorIdentity`` (blank entries dropped).

    The phone is stored E.164 (``ringnity.api.phones``): a stated one that is not a phone number is a
    400 naming ``visitor.phone``; one inside a token (``signed``: checked when the token was made) that
    no longer reads as a number is dropped rather than failing the request.
    """
    values = {}
    for key, field in _IDENTITY_FIELDS.items():
        value = str((identity or {}).get(key) or "").strip()
        if value:
            values[field] = value[: Visitor._meta.get_field(field).max_length]
    if "phone" in values:
        phone = values.pop("phone")
        if stored := (
            phone_or_blank(phone, tenant=tenant)
            if signed
            else phone_for_tenant(phone, tenant=tenant, field="visitor.phone")
        ):
            values["phone"] = stored
    return values


def _visitor_get_or_create(*, tenant, subject: str, defaults: dict) -> Visitor:
    """The tenant's visitor with ``subject``; concurrent first requests end as one row."""
    for _ in range(3):
        visitor = Visitor.objects.for_tenant(tenant).filter(subject=subject).first()
        if visitor is not None:
            visitor.tenant = tenant  # the caller's instance: no extra query for visitor.tenant
            return visitor
        try:
            with transaction.atomic():
                return Visitor.objects.create(tenant=tenant, subject=subject, **defaults)
        except IntegrityError:
            continue  # another request created it first; read it on the next turn
    raise ApiError(ErrorCode.CONFLICT, "The visitor could not be created; retry.", status=409)


def visitor_for_runtime_claims(*, tenant, claims: dict) -> Visitor:
    """The visitor named by a verified visitor runtime token (created on first sight)."""
    context = claims.get("ctx") or {}
    identity = context.get("visitor") if isinstance(context.get("visitor"), dict) else {}
    verified = bool(context.get("verified"))
    defaults = {**_identity_values(identity, tenant=tenant, signed=True), "verified": verified}
    return _visitor_get_or_create(tenant=tenant, subject=str(claims["sub"]), defaults=defaults)


def visitor_create_anonymous(*, tenant, identity: dict | None = None) -> Visitor:
    """A new visitor for a caller with only the tenant header (no runtime token, no chat session)."""
    values = _identity_values(identity, tenant=tenant)
    return Visitor.objects.create(tenant=tenant, subject=f"chat:{secrets.token_hex(12)}", **values)


def visitor_identify(*, visitor: Visitor, identity: dict | None, metadata: dict | None = None) -> Visitor:
    """Records the identity (and session ``metadata``, merged) the visitor states; links a verified
    visitor to its Contact.

    A verified visitor (a Server-API-signed context token) keeps its verified identity: the body
    cannot override it, and its contact is found or created by the contacts upsert rule
    (``apps.chat.services.contact_upsert``) when there is an external id or an e-mail. An
    unverified visitor's claim stays on the visitor row (``verified`` false) and never reaches a
    contact: anyone can claim a customer's ``externalId`` or e-mail, and linking on it would file
    the caller's conversations under that customer for agents and webhook consumers; creating a
    contact from it would let the claim be what the real customer is matched to later.
    """
    changed = []
    if metadata:
        visitor.metadata = {**(visitor.metadata or {}), **metadata}
        if len(json.dumps(visitor.metadata, default=str)) > METADATA_MAX_BYTES:
            visitor.metadata = dict(metadata)  # the newest statement wins over an overflowing history
        changed.append("metadata")
    if not visitor.verified:
        for field, value in _identity_values(identity, tenant=visitor.tenant).items():
            if getattr(visitor, field) != value:
                setattr(visitor, field, value)
                changed.append(field)
    if visitor.verified and visitor.contact_id is None and (visitor.external_id or visitor.email):
        fields = {"name": visitor.name or visitor.email or visitor.external_id, "phone": visitor.phone}
        if visitor.external_id:
            fields["external_id"] = visitor.external_id
        if visitor.email:
            fields["email"] = visitor.email
        try:
            # The tenant's backend vouched for this identity: it updates the contact like the Server API.
            contact, _ = contact_upsert(tenant=visitor.tenant, fields=fields)
        except ApiError:
            contact = None  # e.g. the contacts quota is used up: chat goes on without the link
        if contact is not None:
            visitor.contact = contact
            changed.append("contact")
            Conversation.objects.for_tenant(visitor.tenant).filter(visitor=visitor, contact__isnull=True).update(
                contact=contact
            )
    visitor.last_seen_at = timezone.now()
    visitor.save(update_fields=[*changed, "last_seen_at"])
    return visitor


# --- chat session tokens -------------------------------------------------------------------


def chat_session_issue(*, visitor: Visitor) -> tuple[ChatSession, str]:
    """A new chat session token for ``visitor``: ``(session, raw token)``; the raw token is shown once."""
    raw = CHAT_SESSION_TOKEN_PREFIX + secrets.token_urlsafe(32)
    session = ChatSession.objects.create(
        tenant=visitor.tenant,
        visitor=visitor,
        token_digest=secret_digest(raw),
        expires_at=timezone.now() + CHAT_SESSION_TTL,
    )
    return session, raw


def chat_session_authenticate(*, raw: str) -> ChatSession:
    """The live session of a chat session token (401 otherwise); slides its expiry forward."""
    invalid = ApiError(ErrorCode.AUTH_TOKEN_INVALID, "The chat session token is invalid.", status=401)
    if not raw.startswith(CHAT_SESSION_TOKEN_PREFIX) or len(raw) > 200:
        raise invalid
    # Cross-tenant by nature: the digest names the session before any tenant is known.
    session = (
        ChatSession.objects.cross_tenant()
        .select_related("tenant", "visitor")
        .filter(token_digest=secret_digest(raw))
        .first()
    )
    if session is None or session.revoked_at is not None:
        raise invalid
    now = timezone.now()
    if session.expires_at <= now:
        raise ApiError(ErrorCode.TOKEN_EXPIRED, "The chat session has expired.", status=401)
    if not session.tenant.is_active:
        raise ApiError(ErrorCode.AUTH_ACCOUNT_DISABLED, "This tenant is inactive.", status=401)
    if session.expires_at - now < CHAT_SESSION_TTL - CHAT_SESSION_SLIDE_STEP:
        session.expires_at, session.last_used_at = now + CHAT_SESSION_TTL, now
        ChatSession.objects.for_tenant(session.tenant).filter(pk=session.pk).update(
            expires_at=session.expires_at, last_used_at=now
        )
    return session


def chat_session_revoke(*, session: ChatSession) -> None:
    ChatSession.objects.for_tenant(session.tenant).filter(pk=session.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def chat_sessions_prune(*, keep=timedelta(days=7)) -> int:
    """Deletes chat sessions expired or revoked more than ``keep`` ago (all tenants: a maintenance
    sweep); returns how many. Idempotent."""
    cutoff = timezone.now() - keep
    deleted, _ = ChatSession.objects.cross_tenant().filter(Q(expires_at__lt=cutoff) | Q(revoked_at__lt=cutoff)).delete()
    return deleted


# --- starts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class VisitorStart:
    """Who a start request is: its visitor, and the chat session token it was given now (anonymous
    start, shown once) or None when it came with its own credential."""

    visitor: Visitor
    new_session_token: str | None


@dataclass(frozen=True)
class StartCaller:
    """What a start request says about its caller: its credential (None without one), the
    ``X-Ringnity-Tenant`` slug, ``Origin`` and client address."""

    principal: Principal | None
    tenant_slug: str = ""
    origin: str | None = None
    address: str = ""


def _start_visitor(caller: StartCaller, identity: dict | None) -> VisitorStart:
    principal = caller.principal
    if principal is not None:
        if principal.kind != PrincipalKind.VISITOR or not isinstance(principal.credential, Visitor):
            raise ApiError(
                ErrorCode.AUTH_TOKEN_INVALID, "This credential is not accepted for this operation.", status=401
            )
        if CHAT_SCOPE not in principal.scopes:
            raise ApiError(ErrorCode.PERMISSION_DENIED, "The credential lacks a required scope.", status=403)
        return VisitorStart(principal.credential, None)
    if not caller.tenant_slug:
        raise ApiError(
            ErrorCode.SDK_SESSION_REQUIRED,
            f"No credentials for this operation. Send `{SDK_SESSION_HEADER}`, `{CHAT_SESSION_HEADER}` or "
            f"`{TENANT_HEADER}: <tenant slug or client id>` (a new anonymous visitor).",
            status=401,
        )
    tenant = tenant_resolve_public(slug=caller.tenant_slug)
    if caller.origin is not None and not origin_allowed_for_tenant(tenant=tenant, origin=caller.origin):
        raise ApiError(ErrorCode.SDK_ORIGIN_NOT_ALLOWED, "This origin is not an allowed domain.", status=403)
    anonymous_start_charge(tenant=tenant, address=caller.address)
    visitor = visitor_create_anonymous(tenant=tenant, identity=identity)
    _, raw = chat_session_issue(visitor=visitor)
    return VisitorStart(visitor, raw)


@dataclass(frozen=True)
class VisitorSession:
    visitor: Visitor
    token: str
    session: ChatSession
    open_conversation: Conversation | None


@transaction.atomic
def visitor_session_start(
    *, caller: StartCaller, identity: dict | None, metadata: dict | None, echoed_token: str = ""
) -> VisitorSession:
    """``createVisitorChatSession``: the caller's visitor (see ``StartCaller``), the identity and metadata
    it states recorded, and its chat session token: the new one of an anonymous start, the same one
    (expiry slid) when the caller resumes with it (``echoed_token``), else a new one."""
    start = _start_visitor(caller, identity)
    visitor = visitor_identify(visitor=start.visitor, identity=identity, metadata=metadata)
    raw = start.new_session_token
    if raw is None:
        resuming = bool(caller.principal.claims.get("chatSession")) and bool(echoed_token)
        raw = echoed_token if resuming else chat_session_issue(visitor=visitor)[1]
    session = chat_session_authenticate(raw=raw)
    return VisitorSession(visitor, raw, session, visitor_open_conversation(visitor=visitor))


@transaction.atomic
def visitor_conversation_start(
    *, caller: StartCaller, identity: dict | None, subject: str = "", metadata: dict | None = None
) -> tuple[Conversation, VisitorStart]:
    """``createVisitorConversation``: the caller's visitor (see ``StartCaller``) with its stated identity,
    and its open conversation or a new one (``conversation_services.conversation_start``)."""
    start = _start_visitor(caller, identity)
    visitor = visitor_identify(visitor=start.visitor, identity=identity)
    conversation, _ = conversation_start(visitor=visitor, subject=subject, metadata=metadata)
    return conversation, start


# --- conversation lookups -------------------------------------------------------------------


def _plausible_id(value: str) -> bool:
    return bool(value) and "\x00" not in value and len(value) <= _PUBLIC_ID_MAX


def conversation_get(*, tenant, conversation_id: str, for_update: bool = False) -> Conversation:
    """The tenant's conversation with this public id; unknown or another tenant's → 404."""
    if not _plausible_id(conversation_id):
        raise not_found("Conversation")
    conversations = Conversation.objects.for_tenant(tenant)
    if for_update:
        conversations = conversations.select_for_update()
    conversation = conversations.filter(public_id=conversation_id).first()
    if conversation is None:
        raise not_found("Conversation")
    conversation.tenant = tenant  # the caller's instance: services read conversation.tenant without a query
    return conversation


def visitor_conversation_get(*, visitor: Visitor, conversation_id: str, for_update: bool = False) -> Conversation:
    """The visitor's own conversation; another visitor's or tenant's (or none) → 404 ``NOT_FOUND``."""
    conversation = conversation_get(tenant=visitor.tenant, conversation_id=conversation_id, for_update=for_update)
    if conversation.visitor_id != visitor.pk:
        raise not_found("Conversation")
    return conversation
