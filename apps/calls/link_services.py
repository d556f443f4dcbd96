"""Call links: create, resolve, join (single use), revoke.

A link is a signed, expiring invitation to join a call about one conversation, created by the
conversation's visitor (``createVisitorConversationCallLink``). Its URL,
``RINGNITY_PUBLIC_URL/call/join/<token>``, opens the join page (``apps.calls.pages``):

* ``call_link_resolve`` says what the token names and whether it can still be used
  (``CallLinkState``): forged, tampered, re-pointed or unknown → ``not_found``; past its
  ``CALL_LINK_TTL`` → ``expired``; revoked by an operator → ``revoked``; joined once → ``used``;
  its conversation closed → ``ended``.
* ``call_link_join`` uses it up, once: under the link's row lock it marks the link used, starts the
  call session (the conversation's visitor calls the tenant: ``call.started`` for the agents) and
  issues the browser a short-lived credential for that call session only
  (``call_join_credential``). Of parallel joins exactly one succeeds; the others find it ``used``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from apps.calls.models import CallActorKind, CallLink, CallService, CallSession, CallType
from apps.calls.selectors import CallActor, actor_conversation_get
from apps.calls.services import call_session_create
from apps.chat.models import ACTIVE_STATUSES
from apps.developer.capabilities import require_service
from apps.runtime.tokens import IssuedToken, TokenKind, token_issue

CALL_LINK_SALT = "ringnity.calls.call-link.v1"
CALL_LINK_TTL = timedelta(minutes=30)
CALL_LINK_PATH = "/call/join/"
#: The credential the join page hands the browser: a visitor runtime token for the call's session only.
CALL_JOIN_SCOPE = "visitor:calls"
CALL_JOIN_TTL_SECONDS = 900
#: The realtime gateway (``apps.realtime``), on the public URL: the browser's signalling channel.
REALTIME_PATH = "/realtime/v1"
TYPE_FOR_SERVICE = {CallService.VOICE: CallType.AUDIO, CallService.VIDEO: CallType.VIDEO}


class CallLinkState(StrEnum):
    VALID = "valid"
    NOT_FOUND = "not_found"
    EXPIRED = "expired"
    REVOKED = "revoked"
    USED = "used"
    ENDED = "ended"


@dataclass(frozen=True)
class CallLinkCheck:
    """What a token names (``link``, None when nothing) and whether it can be joined (``state``)."""

    state: CallLinkState
    link: CallLink | None = None


@dataclass(frozen=True)
class CallJoin:
    """A joined link: the call session it started and the browser's credential for it."""

    link: CallLink
    call: CallSession
    credential: IssuedToken


def call_link_url(token: str) -> str:
    """The join URL on the public site (``RINGNITY_PUBLIC_URL``); a visitor never lands on a dashboard."""
    return settings.RINGNITY_PUBLIC_URL.rstrip("/") + CALL_LINK_PATH + token


def realtime_url() -> str:
    """The gateway's URL on the public site: ``ws(s)://<public host>/realtime/v1``."""
    public = settings.RINGNITY_PUBLIC_URL.rstrip("/")
    return "ws" + public.removeprefix("http") + REALTIME_PATH


def api_url() -> str:
    """The REST API's base URL on the public site (the contract's server URL)."""
    return settings.RINGNITY_PUBLIC_URL.rstrip("/") + "/api"


@transaction.atomic
def call_link_create(
    *, tenant, actor: CallActor, conversation_id: str, service: str, metadata: dict | None = None
) -> tuple[CallLink, str]:
    """A signed link to join a ``service`` call about the actor's open conversation: ``(link, token)``.

    The service must be available (plan + admin toggle: ``capabilities.require_service``, else
    403 ``FEATURE_NOT_AVAILABLE``). The token signs the link's, conversation's and tenant's
    public ids with ``CALL_LINK_SALT`` and a timestamp; ``call_link_resolve`` checks all three
    and the expiry.
    """
    actor.require_unbound()
    conversation = actor_conversation_get(tenant=tenant, actor=actor, conversation_id=conversation_id)
    conversation.require_active()
    require_service(tenant, service)
    link = CallLink.objects.create(
        tenant=tenant,
        conversation=conversation,
        service=service,
        metadata=metadata or {},
        created_by_kind=actor.kind,
        expires_at=timezone.now() + CALL_LINK_TTL,
    )
    claims = {"lnk": link.public_id, "cnv": conversation.public_id, "tid": tenant.public_id}
    return link, signing.dumps(claims, salt=CALL_LINK_SALT)


def _claims(token: str) -> tuple[dict | None, bool]:
    """``(signed claims or None, signed longer ago than CALL_LINK_TTL)``."""
    try:
        return signing.loads(token, salt=CALL_LINK_SALT, max_age=CALL_LINK_TTL), False
    except signing.SignatureExpired:
        too_old = True
    except signing.BadSignature:
        return None, False
    try:
        return signing.loads(token, salt=CALL_LINK_SALT), too_old
    except signing.BadSignature:  # it verified a moment ago
        return None, False


def call_link_resolve(*, token: str, for_update: bool = False) -> CallLinkCheck:
    """What ``token`` names and whether it can be joined (module docstring); ``for_update`` locks the row.

    Cross-tenant by nature: the signed token names its tenant before any principal exists.
    """
    claims, too_old = _claims(token)
    if not isinstance(claims, dict):
        return CallLinkCheck(CallLinkState.NOT_FOUND)
    links = CallLink.objects.cross_tenant().select_related(
        "tenant", "conversation__visitor", "conversation__assigned_agent"
    )
    if for_update:
        links = links.select_for_update(of=("self",))
    link = links.filter(public_id=str(claims.get("lnk", ""))[:32]).first()
    if (
        link is None
        or link.conversation.public_id != claims.get("cnv")
        or link.tenant.public_id != claims.get("tid")
        or not link.tenant.is_active
    ):
        return CallLinkCheck(CallLinkState.NOT_FOUND)
    if link.revoked_at is not None:
        return CallLinkCheck(CallLinkState.REVOKED, link)
    if link.used_at is not None:
        return CallLinkCheck(CallLinkState.USED, link)
    if too_old or link.expires_at <= timezone.now():
        return CallLinkCheck(CallLinkState.EXPIRED, link)
    if link.conversation.status not in ACTIVE_STATUSES:
        return CallLinkCheck(CallLinkState.ENDED, link)
    return CallLinkCheck(CallLinkState.VALID, link)


def call_join_credential(*, link: CallLink, call: CallSession) -> IssuedToken:
    """A visitor runtime token for the link's visitor, good for this call session only.

    Scope ``visitor:calls`` alone (no chat, no AI) and ``ctx.callSession``: the call routes answer
    only for that session (``CallActor.call_session_id``), and the realtime gateway can tell it apart.
    """
    visitor = link.conversation.visitor
    return token_issue(
        kind=TokenKind.VISITOR,
        tenant=link.tenant,
        subject=visitor.subject,
        scopes=[CALL_JOIN_SCOPE],
        expires_in=CALL_JOIN_TTL_SECONDS,
        context={
            "visitor": {},
            "verified": visitor.verified,
            "callSession": call.public_id,
            "callLink": link.public_id,
        },
    )


@transaction.atomic
def call_link_join(*, token: str) -> CallJoin | CallLinkCheck:
    """Uses the link up (once) and starts its call: a ``CallJoin``, or the ``CallLinkCheck`` saying why not.

    The link row is locked first, so of parallel joins one marks it used and the others, waiting on
    the lock, then read ``used``. The call service's own refusals (the plan's call service switched
    off since: 403; the conversation closed: 409) roll the whole join back, the link stays unused.
    """
    check = call_link_resolve(token=token, for_update=True)
    if check.state != CallLinkState.VALID:
        return check
    link = check.link
    visitor = link.conversation.visitor
    call = call_session_create(
        tenant=link.tenant,
        actor=CallActor(kind=CallActorKind.VISITOR, visitor=visitor),
        conversation_id=link.conversation.public_id,
        call_type=TYPE_FOR_SERVICE[link.service],
        metadata={"callLinkId": link.public_id},
    )
    link.used_at = timezone.now()
    link.call_session = call
    link.save(update_fields=["used_at", "call_session"])
    return CallJoin(link=link, call=call, credential=call_join_credential(link=link, call=call))


def call_link_revoke(*, tenant, link_id: str) -> None:
    CallLink.objects.for_tenant(tenant).filter(public_id=link_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
