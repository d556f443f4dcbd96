"""Reads of call sessions and the conversation a call is about, always for one tenant (and visitor)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from apps.calls.models import CallActorKind, CallSession
from apps.chat.conversation_services import agent_conversation_get, agent_visible_conversations
from apps.chat.models import Conversation, Visitor
from apps.chat.visitor_services import conversation_get, visitor_conversation_get
from ringnity.api.errors import ApiError, ErrorCode, not_found

_PUBLIC_ID_MAX = 32


@dataclass(frozen=True)
class CallActor:
    """Who acts on a call: a visitor (sees only its own conversations) or tenant staff.

    ``user`` is the agent or dashboard user; ``visitor`` is set for visitors only. Staff see the
    conversations the chat CRM shows them (``agent_visible_conversations``: owners, admins and
    supervisors the whole tenant; an agent its own and its queues), and the calls it started.
    """

    kind: CallActorKind
    user: object | None = None
    visitor: Visitor | None = None
    #: Set for the join page's credential (``ctx.callSession``): it acts on that one call session only.
    call_session_id: str | None = None

    def require_unbound(self) -> None:
        """A credential bound to one call session starts no other call and creates no link (403)."""
        if self.call_session_id is not None:
            raise ApiError(
                ErrorCode.CALL_PERMISSION_DENIED,
                "This credential is for one call session only (the one its call link started).",
                status=403,
            )


def actor_conversation_get(
    *, tenant, actor: CallActor, conversation_id: str, code: ErrorCode = ErrorCode.NOT_FOUND
) -> Conversation:
    """The conversation the actor may call about: the visitor's own, or one the staff member sees.

    Unknown, another tenant's, another visitor's or an invisible conversation is the same 404
    (with ``code``).
    """
    try:
        if actor.visitor is not None:
            if actor.visitor.tenant_id != tenant.pk:
                raise not_found("Conversation")
            return visitor_conversation_get(visitor=actor.visitor, conversation_id=conversation_id)
        if actor.user is not None:
            return agent_conversation_get(tenant=tenant, agent=actor.user, conversation_id=conversation_id)
        return conversation_get(tenant=tenant, conversation_id=conversation_id)
    except ApiError as exc:
        if exc.status == 404:
            raise ApiError(code, "Conversation not found.", status=404) from exc
        raise


def call_session_get(*, tenant, actor: CallActor, call_session_id: str, for_update: bool = False) -> CallSession:
    """The tenant's call session (a visitor's: only on its own conversations); else 404 ``CALL_SESSION_NOT_FOUND``."""
    missing = not_found("Call session", code=ErrorCode.CALL_SESSION_NOT_FOUND)
    if not call_session_id or "\x00" in call_session_id or len(call_session_id) > _PUBLIC_ID_MAX:
        raise missing
    if actor.call_session_id is not None and call_session_id != actor.call_session_id:
        raise missing
    sessions = CallSession.objects.for_tenant(tenant).select_related("conversation")
    if actor.visitor is not None:
        sessions = sessions.filter(conversation__visitor_id=actor.visitor.pk)
    elif actor.user is not None:
        visible = agent_visible_conversations(tenant=tenant, agent=actor.user).values("pk")
        sessions = sessions.filter(Q(conversation__in=visible) | Q(started_by_user=actor.user))
    if for_update:
        # Lock only the call row, not the joined conversation.
        sessions = sessions.select_for_update(of=("self",))
    call = sessions.filter(public_id=call_session_id).first()
    if call is None:
        raise missing
    return call
