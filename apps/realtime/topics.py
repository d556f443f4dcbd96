"""Who hears what: the topics follow the principal, and the server decides.

* A **visitor** hears the durable events of its own conversations, the typing of the other
  participants and the AI stream of its conversations.
* An **agent** hears the durable events of every conversation it may read (the chat CRM's rule,
  ``apps.chat.conversation_services.agent_sees``: owners, admins and supervisors the whole tenant;
  agents their own and their queues), the ``conversation.assigned`` of a conversation transferred away
  from it (``Audience.previous_agent_id``), the presence of the tenant's agents, and the typing, call
  signalling and AI stream of the conversations it has ``subscribe``d to.
* An **admin** (Admin SDK) hears ``conversation.*`` and ``call.*`` of the whole tenant and presence
  (live report counters).
* A **call-bound visitor** (the call link's credential, ``Listener.call_session_id``) hears the ``call.*``
  events and the signalling of that one call session, nothing else.

Which conversation an event concerns (``Audience``) is read from the event's own payload for
``conversation.*`` (the state after the change) and from the conversation row otherwise: one query per
batch of events, done once per event where it is published, not per socket.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from apps.chat.conversation_services import agent_sees
from apps.chat.models import Assignment, Conversation

from .listeners import Listener

CALL_EVENTS = "call."
ADMIN_EVENTS = ("conversation.", CALL_EVENTS)
CONVERSATION_EVENTS = "conversation."
ASSIGNED_EVENT = "conversation.assigned"


@dataclass(frozen=True, slots=True)
class Audience:
    """The conversation an event is about, by public ids (what listeners know about themselves)."""

    conversation_id: str
    visitor_id: str | None
    assigned_agent_id: str | None
    department_id: str | None
    #: ``conversation.assigned`` only: the agent it was assigned to before (it hears that it was taken away).
    previous_agent_id: str | None = None

    def as_list(self) -> list:
        values = [self.conversation_id, self.visitor_id, self.assigned_agent_id, self.department_id]
        return [*values, self.previous_agent_id] if self.previous_agent_id else values

    @classmethod
    def from_list(cls, values) -> Audience | None:
        return cls(*values) if values else None


def conversation_audiences(*, tenant_id: int, conversation_ids: Iterable[str]) -> dict[str, Audience]:
    """The audience of each of the tenant's conversations (one query); unknown ids are left out."""
    ids = {value for value in conversation_ids if isinstance(value, str) and value}
    if not ids:
        return {}
    rows = Conversation.objects.filter(tenant_id=tenant_id, public_id__in=ids).values_list(
        "public_id", "visitor__public_id", "assigned_agent__public_id", "department__public_id"
    )
    return {row[0]: Audience(*row) for row in rows}


def _previous_agents(*, tenant_id: int, events) -> dict[int, str | None]:
    """For each ``conversation.assigned`` event (by pk), the agent the conversation was assigned to before it:
    read from the assignment history (one query), the row before the newest one the event can have seen."""
    assigned = [event for event in events if event.event_type == ASSIGNED_EVENT]
    conversation_ids = {event.payload.get("conversationId") for event in assigned} - {None}
    if not conversation_ids:
        return {}
    history: dict[str, list[tuple]] = {}
    rows = (
        Assignment.objects.filter(tenant_id=tenant_id, conversation__public_id__in=conversation_ids)
        .order_by("-created_at", "-id")
        .values_list("conversation__public_id", "created_at", "assigned_agent__public_id")
    )
    for conversation_id, created_at, agent_id in rows:
        history.setdefault(conversation_id, []).append((created_at, agent_id))
    previous = {}
    for event in assigned:
        seen = [row for row in history.get(event.payload.get("conversationId"), []) if row[0] <= event.created_at]
        previous[event.pk] = seen[1][1] if len(seen) > 1 else None
    return previous


def event_audiences(*, tenant_id: int, events) -> list[Audience | None]:
    """The audience of each event (``WebhookEvent``s of one tenant); None for events about no conversation."""
    lookups = {
        event.payload.get("conversationId") for event in events if not event.event_type.startswith(CONVERSATION_EVENTS)
    }
    found = conversation_audiences(tenant_id=tenant_id, conversation_ids=lookups)
    previous = _previous_agents(tenant_id=tenant_id, events=events)
    result = []
    for event in events:
        payload = event.payload if isinstance(event.payload, dict) else {}
        conversation_id = payload.get("conversationId")
        if event.event_type.startswith(CONVERSATION_EVENTS) and conversation_id:
            result.append(
                Audience(
                    conversation_id,
                    payload.get("visitorId"),
                    payload.get("assignedAgentId"),
                    payload.get("departmentId"),
                    previous.get(event.pk),
                )
            )
        else:
            result.append(found.get(conversation_id))
    return result


def may_read(listener: Listener, audience: Audience) -> bool:
    """Whether the listener may read this conversation at all (subscribe, typing, signalling)."""
    if listener.call_session_id:
        return False  # a call, not a conversation (``hears_call``)
    if listener.kind == "visitor":
        return audience.visitor_id == listener.subject
    if listener.kind == "agent":
        return agent_sees(
            agent_id=listener.subject,
            supervising=listener.agent_supervising,
            agent_department_id=listener.agent_department_id,
            assigned_agent_id=audience.assigned_agent_id,
            department_id=audience.department_id,
        )
    return False


def hears_call(listener: Listener, call_session_id: str | None) -> bool:
    """A call-bound listener hears its call session only."""
    return bool(call_session_id) and call_session_id == listener.call_session_id


def hears_durable(listener: Listener, event_type: str, audience: Audience | None, call_id: str | None = None) -> bool:
    if audience is None:
        return False
    if listener.call_session_id:
        return event_type.startswith(CALL_EVENTS) and hears_call(listener, call_id)
    if listener.kind == "admin":
        return event_type.startswith(ADMIN_EVENTS)
    if event_type == ASSIGNED_EVENT and listener.kind == "agent" and audience.previous_agent_id == listener.subject:
        return True  # transferred away: the agent hears where its conversation went
    return may_read(listener, audience)
