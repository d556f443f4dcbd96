"""Tenants, visitors, conversations, calls and the credentials of every caller kind of the call routes."""

import itertools

from django.utils import timezone

from apps.calls.models import CallActorKind, CallSession
from apps.calls.selectors import CallActor
from apps.chat.models import Conversation, Visitor
from apps.chat.visitor_services import chat_session_issue
from apps.identity.sessions import SessionScope, session_issue
from apps.runtime.tests.fixtures import ready_tenant, runtime_headers
from apps.runtime.tokens import TokenKind
from apps.tenants.models import StaffRole
from apps.tenants.tests.factories import OwnerFactory, StaffFactory

CALL_FEATURES = {"chat": True, "voice_call": True, "video_call": True}
_numbers = itertools.count(1)
_subjects = itertools.count(1)


def call_tenant(*, features=None, **tenant_fields):
    """A tenant whose plan includes chat, voice and video calls (or exactly ``features``)."""
    return ready_tenant(features=CALL_FEATURES if features is None else features, **tenant_fields)


def visitor_for(tenant, *, subject: str | None = None) -> Visitor:
    return Visitor.objects.create(tenant=tenant, subject=subject or f"vis_calls{next(_subjects)}")


def conversation_for(tenant, visitor: Visitor | None = None, **fields) -> Conversation:
    visitor = visitor or visitor_for(tenant)
    return Conversation.objects.create(
        tenant=tenant, visitor=visitor, number=next(_numbers), last_message_at=timezone.now(), **fields
    )


def call_for(conversation: Conversation, **fields) -> CallSession:
    values = {
        "type": "audio",
        "started_at": timezone.now(),
        "started_by_kind": CallActorKind.VISITOR,
        **fields,
    }
    return CallSession.objects.create(tenant=conversation.tenant, conversation=conversation, **values)


def staff_actor(tenant) -> CallActor:
    return CallActor(kind=CallActorKind.OWNER, user=OwnerFactory(tenant=tenant))


def visitor_actor(visitor: Visitor) -> CallActor:
    return CallActor(kind=CallActorKind.VISITOR, visitor=visitor)


# --- credentials ------------------------------------------------------------------------------


def visitor_headers(visitor: Visitor, **kw) -> dict:
    """The visitor's runtime token (``X-Ringnity-SDK-Session``); its subject names the visitor."""
    return runtime_headers(visitor.tenant, subject=visitor.subject, **kw)


def chat_session_token(visitor: Visitor) -> str:
    return chat_session_issue(visitor=visitor)[1]


def chat_session_headers(visitor: Visitor) -> dict:
    return {"HTTP_X_RINGNITY_CHAT_SESSION": chat_session_token(visitor)}


def agent_headers(tenant, **kw) -> dict:
    agent = StaffFactory(tenant=tenant, role=StaffRole.AGENT)
    return runtime_headers(tenant, TokenKind.AGENT, subject=agent.public_id, **kw)


def owner_headers(tenant) -> dict:
    token = session_issue(user=OwnerFactory(tenant=tenant), scope=SessionScope.OWNER).access
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def workspace_headers(tenant, role=StaffRole.AGENT) -> dict:
    user = StaffFactory(tenant=tenant, role=role)
    token = session_issue(user=user, scope=SessionScope.WORKSPACE).access
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}
