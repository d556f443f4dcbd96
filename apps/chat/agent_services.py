"""The agent runtime: presence and attachment removal.

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
from apps.tenants.models import Presence, User
from ringnity.api.errors import not_found

PRESENCE_SYNONYMS = {"online": AgentPresenceStatus.AVAILABLE, "unavailable": AgentPresenceStatus.BUSY}
_USER_PRESENCE = {
    AgentPresenceStatus.AVAILABLE: Presence.ONLINE,
    AgentPresenceStatus.BUSY: Presence.BUSY,
    AgentPresenceStatus.OFFLINE: Presence.OFFLINE,
}


def agent_presence_get(*, tenant, agent: User) -> AgentPresence:
    """The agent's presence row, or an unsaved ``offline`` one for an agent who never set it."""
    presence = AgentPresence.objects.for_tenant(tenant).filter(agent=agent).first()
    if presence is None:
        return AgentPresence(tenant=tenant, agent=agent, status=AgentPresenceStatus.OFFLINE)
    presence.agent = agent
    return presence


@transaction.atomic
def agent_presence_update(*, tenant, agent: User, status: str) -> AgentPresence:
    status = PRESENCE_SYNONYMS[status] if status in PRESENCE_SYNONYMS else AgentPresenceStatus(status)
    now = timezone.now()
    presence, _ = AgentPresence.objects.for_tenant(tenant).update_or_create(
        agent=agent, defaults={"tenant": tenant, "status": status, "last_activity_at": now}
    )
    User.objects.filter(pk=agent.pk).update(presence=_USER_PRESENCE[status], presence_updated_at=now)
    presence.agent = agent
    return presence


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
            instance=message,
        )
    if attachment.status != AttachmentStatus.DELETED:
        stored = attachment.file.name
        attachment.status, attachment.deleted_at, attachment.file = AttachmentStatus.DELETED, now, ""
        attachment.save(update_fields=["status", "deleted_at", "file"])
        if stored:
            transaction.on_commit(lambda: default_storage.delete(stored))
    attachment.conversation = conversation
    return {"message": message, "attachment": attachment}
