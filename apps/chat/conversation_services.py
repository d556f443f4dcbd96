"""Conversation writes: start (numbered per tenant), assign/accept/transfer, close, reopen, its contact; availability.

Numbering: ``conversation_start`` locks the tenant's ``ConversationCounter`` row
(``SELECT ... FOR UPDATE``) and takes ``last_number + 1`` in the same transaction as the
insert, so numbers are sequential, unique and gap-free under concurrency (a rolled-back
start rolls back its increment too). The lock also serialises starts of one tenant, so a
visitor's second concurrent start sees the first one's committed conversation and gets it back.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from apps.chat.events import emit
from apps.chat.models import (
    ACTIVE_STATUSES,
    AgentPresence,
    AgentPresenceStatus,
    Assignment,
    AssignmentKind,
    Conversation,
    ConversationCounter,
    ConversationStatus,
    Visitor,
)
from apps.chat.services import contact_update, contact_upsert
from apps.developer.capabilities import require_service, service_capabilities
from apps.tenants.models import Department, StaffRole, User
from ringnity.api.errors import ApiError, ErrorCode, not_found, validation_failed

SUBJECT_MAX_LENGTH = 500
#: Roles that see and manage every conversation of the tenant; plain agents see their own and their queue.
SUPERVISING_ROLES = frozenset({StaffRole.OWNER, StaffRole.ADMIN, StaffRole.SUPERVISOR})


def _next_number(tenant) -> int:
    ConversationCounter.objects.bulk_create([ConversationCounter(tenant=tenant)], ignore_conflicts=True)
    counter = ConversationCounter.objects.for_tenant(tenant).select_for_update().get()
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


def visitor_open_conversation(*, visitor: Visitor) -> Conversation | None:
    """The visitor's open or pending conversation (at most one exists), or None."""
    return (
        Conversation.objects.for_tenant(visitor.tenant)
        .select_related("visitor", "contact", "department", "assigned_agent")
        .filter(visitor=visitor, status__in=ACTIVE_STATUSES)
        .first()
    )


def conversation_start(
    *, visitor: Visitor, subject: str = "", metadata: dict | None = None, channel: str = "web"
) -> tuple[Conversation, bool]:
    """The visitor's open conversation, or a new one: ``(conversation, created)``.

    Needs the ``chat`` service (403 FEATURE_NOT_AVAILABLE otherwise).
    """
    tenant = visitor.tenant
    require_service(tenant, "chat")
    existing = visitor_open_conversation(visitor=visitor)
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            number = _next_number(tenant)
            # Starts of this tenant are serialised by the counter lock: re-check under it.
            existing = visitor_open_conversation(visitor=visitor)
            if existing is not None:
                transaction.set_rollback(True)
                return existing, False
            now = timezone.now()
            conversation = Conversation.objects.create(
                tenant=tenant,
                number=number,
                visitor=visitor,
                contact_id=visitor.contact_id,
                subject=(subject or "").strip()[:SUBJECT_MAX_LENGTH],
                metadata=metadata or {},
                channel=channel,
                last_message_at=now,
            )
            conversation.visitor = visitor
            emit(tenant=tenant, event_type="conversation.created", instance=conversation)
            return conversation, True
    except IntegrityError:
        # The one-active-conversation constraint: a concurrent start of this visitor won.
        existing = visitor_open_conversation(visitor=visitor)
        if existing is None:
            raise
        return existing, False


def chat_availability(*, tenant) -> dict:
    """The ``chat`` service status and whether an active agent of the tenant is available now."""
    capability = next(c for c in service_capabilities(tenant) if c["key"] == "chat")
    agents_online = (
        AgentPresence.objects.for_tenant(tenant)
        .filter(status=AgentPresenceStatus.AVAILABLE, agent__is_active=True)
        .exists()
    )
    available = capability["allowed"] and agents_online
    if not capability["allowed"]:
        reason = capability["reason"] or "Chat is not available."
    elif not agents_online:
        reason = "No agent is online right now; messages will be answered later."
    else:
        reason = ""
    data = {"available": available, "status": capability["status"], "agentsOnline": agents_online}
    if reason:
        data["reason"] = reason
    return data


# --- agents ---------------------------------------------------------------------------------


def agent_visible_conversations(*, tenant, agent: User):
    """What ``agent`` may see: supervisors/admins/owners the whole tenant; an agent what is
    assigned to it plus the unassigned queue of its department and the general queue
    (unassigned conversations without a department)."""
    return _agent_conversations(tenant, agent, taken_queue=False)


def _agent_conversations(tenant, agent: User, *, taken_queue: bool):
    """``agent_visible_conversations``; with ``taken_queue`` also the conversations of the agent's queues
    that another agent has taken (an accept of one of those is a 409 conflict, not a 404)."""
    conversations = Conversation.objects.for_tenant(tenant)
    if agent.role in SUPERVISING_ROLES:
        return conversations
    queue = (
        Q(department__isnull=True) | Q(department_id=agent.department_id)
        if agent.department_id
        else Q(department__isnull=True)
    )
    if not taken_queue:
        queue &= Q(assigned_agent__isnull=True)
    return conversations.filter(Q(assigned_agent=agent) | queue)


def agent_sees(*, agent_id, supervising: bool, agent_department_id, assigned_agent_id, department_id) -> bool:
    """``agent_visible_conversations`` as a test of one conversation's row values (the realtime gateway
    decides who hears an event without a query); ``test_agent_sees_matches_the_query`` keeps the two equal."""
    if supervising or assigned_agent_id == agent_id:
        return True
    return assigned_agent_id is None and department_id in (None, agent_department_id)


def agent_conversation_get(
    *, tenant, agent: User, conversation_id: str, for_update: bool = False, accepting: bool = False
) -> Conversation:
    """The conversation if ``agent`` sees it, else 404. ``accepting``: also one of the agent's queues that
    another agent took meanwhile, so the caller answers the accept race with its 409."""
    if not conversation_id or "\x00" in conversation_id or len(conversation_id) > 32:
        raise not_found("Conversation")
    visible = _agent_conversations(tenant, agent, taken_queue=accepting).filter(public_id=conversation_id)
    if for_update:
        # Visibility is checked before the lock; the lock itself is taken by key alone, so a
        # concurrent change that takes the row out of this agent's view (another agent's accept)
        # is seen after the wait and answered by the caller's rules (409), not as "not found".
        pk = visible.values_list("pk", flat=True).first()
        conversations = Conversation.objects.for_tenant(tenant).filter(pk=pk).select_for_update(of=("self",))
    else:
        conversations = visible
    conversation = conversations.select_related("visitor", "contact", "department", "assigned_agent").first()
    if conversation is None:
        raise not_found("Conversation")
    conversation.tenant = tenant  # no query for conversation.tenant in the services that follow
    return conversation


def _target_agent(tenant, agent_id: str) -> User:
    target = User.objects.filter(tenant=tenant, public_id=agent_id, is_active=True).exclude(role="").first()
    if target is None:
        raise validation_failed(["assignedAgentId: not an active agent of this tenant."])
    return target


def _target_department(tenant, department_id: str) -> Department:
    department = Department.objects.for_tenant(tenant).filter(public_id=department_id).first()
    if department is None:
        raise validation_failed(["assignedDepartmentId: not a department of this tenant."])
    return department


@transaction.atomic
def conversation_assign(
    *,
    tenant,
    agent: User,
    conversation_id: str,
    assigned_agent_id: str | None = None,
    assigned_department_id: str | None = None,
    reason: str = "",
    is_transfer: bool = False,
) -> tuple[Assignment, Conversation]:
    """Accept (no target), assign or transfer. The conversation row is locked for the change, so
    of two concurrent accepts the second sees the first's agent: 409 ``CONFLICT``; so does an accept
    that arrives after another agent took the conversation out of the caller's queue.

    Rules: the target agent must be an active staff member of the tenant and the department one
    of its departments (else 400). A plain agent may accept a queued conversation and hand on
    (transfer) what is assigned to itself; assigning someone else's conversation needs a
    supervising role (403 ``PERMISSION_DENIED``). A closed conversation cannot be assigned (409).
    """
    target_agent = _target_agent(tenant, assigned_agent_id) if assigned_agent_id else None
    target_department = _target_department(tenant, assigned_department_id) if assigned_department_id else None
    conversation = agent_conversation_get(
        tenant=tenant,
        agent=agent,
        conversation_id=conversation_id,
        for_update=True,
        accepting=target_agent is None and target_department is None,
    )
    conversation.require_active()
    supervising = agent.role in SUPERVISING_ROLES
    current = conversation.assigned_agent_id
    if target_agent is None and target_department is None:
        kind, target_agent = AssignmentKind.ACCEPT, agent
        if current == agent.pk:
            kind = None  # accepting one's own conversation again changes nothing
        elif current is not None:
            raise ApiError(ErrorCode.CONFLICT, "Another agent has already accepted this conversation.", status=409)
    else:
        if current not in (None, agent.pk) and not supervising:
            raise ApiError(
                ErrorCode.PERMISSION_DENIED, "Only a supervisor may reassign another agent's conversation.", status=403
            )
        kind = AssignmentKind.TRANSFER if (is_transfer or current is not None) else AssignmentKind.ASSIGN
    if target_department is not None:
        conversation.department = target_department
    conversation.assigned_agent = target_agent
    if kind is None:
        assignment = Assignment.objects.for_tenant(tenant).filter(conversation=conversation).order_by("-id").first()
        if assignment is not None:
            return assignment, conversation
        kind = AssignmentKind.ACCEPT
    conversation.save(update_fields=["department", "assigned_agent", "updated_at"])
    assignment = Assignment.objects.create(
        tenant=tenant,
        conversation=conversation,
        kind=kind,
        assigned_agent=target_agent,
        assigned_department=target_department,
        assigned_by=agent,
        reason=(reason or "").strip(),
    )
    emit(
        tenant=tenant,
        event_type="conversation.assigned",
        instance=conversation,
    )
    return assignment, conversation


@transaction.atomic
def conversation_close(*, tenant, agent: User, conversation_id: str) -> Conversation:
    """Closes (status ``closed``, ``closed_at``); closing a closed conversation changes nothing."""
    conversation = agent_conversation_get(tenant=tenant, agent=agent, conversation_id=conversation_id, for_update=True)
    if conversation.status == ConversationStatus.CLOSED:
        return conversation
    conversation.status = ConversationStatus.CLOSED
    conversation.closed_at = timezone.now()
    conversation.save(update_fields=["status", "closed_at", "updated_at"])
    emit(tenant=tenant, event_type="conversation.closed", instance=conversation)
    return conversation


@transaction.atomic
def conversation_update(*, conversation: Conversation, fields: dict) -> Conversation:
    """Status, priority or subject set by an operator (the console). Closing sets ``closed_at`` and
    emits ``conversation.closed``, any other change ``conversation.updated``; reopening while the
    visitor has another open conversation is 409 ``CONFLICT``."""
    allowed = {key: value for key, value in fields.items() if key in ("status", "priority", "subject")}
    changed = [key for key, value in allowed.items() if getattr(conversation, key) != value]
    if not changed:
        return conversation
    for key in changed:
        setattr(conversation, key, allowed[key])
    closing = "status" in changed and conversation.status == ConversationStatus.CLOSED
    conversation.closed_at = (
        timezone.now() if closing else (conversation.closed_at if "status" not in changed else None)
    )
    try:
        with transaction.atomic():
            conversation.save(update_fields=[*changed, "closed_at", "updated_at"])
    except IntegrityError as exc:
        raise ApiError(ErrorCode.CONFLICT, "The visitor already has an open conversation.", status=409) from exc
    event = "conversation.closed" if closing else "conversation.updated"
    emit(tenant=conversation.tenant, event_type=event, instance=conversation)
    return conversation


@transaction.atomic
def conversation_reopen(*, tenant, agent: User, conversation_id: str) -> Conversation:
    """An agent reopens a closed conversation it sees (status ``open``, ``conversation.updated``); one that
    is not closed is returned unchanged. The visitor's other open conversation makes it a 409 ``CONFLICT``
    (one open conversation per visitor, ``conversation_update``)."""
    conversation = agent_conversation_get(tenant=tenant, agent=agent, conversation_id=conversation_id, for_update=True)
    if conversation.status != ConversationStatus.CLOSED:
        return conversation
    return conversation_update(conversation=conversation, fields={"status": ConversationStatus.OPEN})


@transaction.atomic
def conversation_contact_save(*, tenant, agent: User, conversation_id: str, fields: dict) -> Conversation:
    """The agent edits the contact of a conversation it sees: the linked contact is updated
    (``contact_update``); without one, the fields (name and phone required) go through the contact upsert
    rule (``contact_upsert``: an existing contact with the same identity is updated and linked, else a
    new one), and the conversation and its visitor (when it has none) are linked to it
    (``conversation.updated``)."""
    conversation = agent_conversation_get(tenant=tenant, agent=agent, conversation_id=conversation_id, for_update=True)
    if conversation.contact is not None:
        conversation.contact = contact_update(contact=conversation.contact, fields=fields)
        return conversation
    contact, _ = contact_upsert(tenant=tenant, fields=fields)
    conversation.contact = contact
    conversation.save(update_fields=["contact", "updated_at"])
    Visitor.objects.filter(pk=conversation.visitor_id, contact__isnull=True).update(contact=contact)
    conversation.visitor.contact = conversation.visitor.contact or contact
    emit(tenant=tenant, event_type="conversation.updated", instance=conversation)
    return conversation
