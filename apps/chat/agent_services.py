"""The agent runtime: profile, presence, and attachment removal.

Presence input accepts the contract's synonyms: ``online`` ≡ ``available`` and
``unavailable`` ≡ ``busy``; the stored and returned status is always
``available`` | ``busy`` | ``offline``. The staff member's dashboard presence
(``User.presence``) follows (available → online).
"""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from apps.chat.events import emit
from apps.chat.message_services import conversation_message_get
from apps.chat.models import AgentPresence, AgentPresenceStatus, Attachment, AttachmentStatus, Conversation
from apps.chat.payloads import deleted_payload
from apps.runtime.selectors import tenant_payload
from apps.tenants.models import Presence, User
from ringnity.api.errors import not_found
from ringnity.api.outputs import iso_utc

PRESENCE_SYNONYMS = {"online": AgentPresenceStatus.AVAILABLE, "unavailable": AgentPresenceStatus.BUSY}
_USER_PRESENCE = {
    AgentPresenceStatus.AVAILABLE: Presence.ONLINE,
    AgentPresenceStatus.BUSY: Presence.BUSY,
    AgentPresenceStatus.OFFLINE: Presence.OFFLINE,
}


def agent_profile(*, tenant, agent: User, scopes) -> dict:
    profile = {
        "agentId": agent.public_id,
        "username": agent.username,
        "name": agent.display_name,
        "role": agent.role,
        "scopes": sorted(scopes),
    }
    if agent.department_id:
        profile["departmentId"] = agent.department.public_id
        profile["departmentName"] = agent.department.name
    return {"agent": profile, "tenant": tenant_payload(tenant)}


def presence_payload(agent: User, presence: AgentPresence | None) -> dict:
    status = presence.status if presence else AgentPresenceStatus.OFFLINE
    data = {"agentId": agent.public_id, "status": str(status), "online": status == AgentPresenceStatus.AVAILABLE}
    if presence is not None and presence.last_activity_at:
        data["lastActivityAt"] = iso_utc(presence.last_activity_at)
    return data


def agent_presence_get(*, tenant, agent: User) -> dict:
    return presence_payload(agent, AgentPresence.objects.for_tenant(tenant).filter(agent=agent).first())


@transaction.atomic
def agent_presence_update(*, tenant, agent: User, status: str) -> dict:
    status = PRESENCE_SYNONYMS[status] if status in PRESENCE_SYNONYMS else AgentPresenceStatus(status)
    now = timezone.now()
    presence, _ = AgentPresence.objects.for_tenant(tenant).update_or_create(
        agent=agent, defaults={"tenant": tenant, "status": status, "last_activity_at": now}
    )
    User.objects.filter(pk=agent.pk).update(presence=_USER_PRESENCE[status], presence_updated_at=now)
    return presence_payload(agent, presence)


def agent_touch(*, tenant, agent: User) -> None:
    """Keeps the agent's ``lastActivityAt`` current after an action (one UPDATE, no read)."""
    AgentPresence.objects.for_tenant(tenant).filter(agent=agent).update(last_activity_at=timezone.now())


@transaction.atomic
def attachment_message_delete(*, conversation: Conversation, agent: User, message_id: str, reason: str = "") -> dict:
    """Soft-deletes the message holding an attachment (who/why/when kept) and removes the stored file.

    Deleting again answers the same (idempotent); a message without an attachment is 404.
    """
    message = conversation_message_get(conversation=conversation, message_id=message_id, for_update=True)
    attachment = Attachment.objects.for_tenant(conversation.tenant).select_for_update().filter(message=message).first()
    if attachment is None:
        raise not_found("Attachment")
    now = timezone.now()
    if message.deleted_at is None:
        message.deleted_at, message.deleted_by_agent, message.delete_reason = now, agent, (reason or "").strip()
        message.save(update_fields=["deleted_at", "deleted_by_agent", "delete_reason"])
        emit(
            tenant=conversation.tenant,
            event_type="message.deleted",
            payload=deleted_payload(message, deleted_by=agent.public_id),
        )
    if attachment.status != AttachmentStatus.DELETED:
        stored = attachment.file.name
        attachment.status, attachment.deleted_at, attachment.file = AttachmentStatus.DELETED, now, ""
        attachment.save(update_fields=["status", "deleted_at", "file"])
        if stored:
            transaction.on_commit(lambda: default_storage.delete(stored))
    attachment.conversation = conversation
    return {"message": message, "attachment": attachment}
