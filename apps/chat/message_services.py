"""Message writes (send, edit, soft delete), receipts and the message list.

Idempotent send: a ``clientMessageId`` is unique per conversation and sender (partial unique
constraints: the visitor, each agent, the AI, the system). A send first looks for it among its
sender's messages; a concurrent duplicate that loses the insert race rolls back its savepoint
and returns the winner's message. A retry with the same id returns the first message unchanged,
whatever its body (the id names the message, not the content). Another sender's message with
the same id is never returned: an agent reusing the visitor's id sends its own reply.

A resolved or closed conversation takes no new message, and its visitor can no longer edit or
delete what it sent (409 ``CONFLICT``, ``Conversation.require_active``): the transcript is final.
"""

from __future__ import annotations

import json

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from apps.chat.events import emit
from apps.chat.models import (
    Conversation,
    Message,
    ParticipantType,
    Receipt,
    SenderType,
    Visitor,
)
from apps.chat.selectors import MESSAGE_RELATED
from apps.tenants.models import User
from ringnity.api.errors import ApiError, ErrorCode, not_found, validation_failed

BODY_MAX_LENGTH = 5000
METADATA_MAX_BYTES = 4096
CLIENT_MESSAGE_ID_MAX_LENGTH = 200
MESSAGE_TYPES = frozenset({"text"})


def validate_message_fields(*, body=None, metadata=None, message_type=None, body_required=True) -> list[str]:
    """The bad fields of a message body, as 400 details (empty when all is well)."""
    problems = []
    if body is None:
        if body_required:
            problems.append("body: this field is required.")
    elif not body.strip():
        problems.append("body: must not be empty.")
    elif len(body) > BODY_MAX_LENGTH:
        problems.append(f"body: at most {BODY_MAX_LENGTH} characters.")
    if metadata is not None and len(json.dumps(metadata, default=str)) > METADATA_MAX_BYTES:
        problems.append(f"metadata: at most {METADATA_MAX_BYTES} bytes of JSON.")
    if message_type is not None and message_type not in MESSAGE_TYPES:
        problems.append(f"messageType: one of {', '.join(sorted(MESSAGE_TYPES))}.")
    return problems


def _plausible(public_id: str) -> bool:
    return bool(public_id) and "\x00" not in public_id and len(public_id) <= 32


def conversation_message_get(*, conversation: Conversation, message_id: str, for_update: bool = False) -> Message:
    """A message of ``conversation`` (already resolved for the caller); else 404."""
    if not _plausible(message_id):
        raise not_found("Message")
    messages = Message.objects.for_tenant(conversation.tenant).filter(conversation=conversation)
    if for_update:
        messages = messages.select_for_update(of=("self",))
    message = messages.select_related(*MESSAGE_RELATED).filter(public_id=message_id).first()
    if message is None:
        raise not_found("Message")
    message.conversation = conversation
    return message


def _existing(conversation: Conversation, client_message_id: str, sender: dict) -> Message | None:
    """The message ``sender`` (``sender_type``, ``sender_visitor``, ``sender_agent``) sent with this id."""
    return (
        Message.objects.for_tenant(conversation.tenant)
        .select_related(*MESSAGE_RELATED)
        .filter(conversation=conversation, client_message_id=client_message_id, **sender)
        .first()
    )


def message_send(
    *,
    conversation: Conversation,
    sender_type: SenderType,
    body: str,
    message_type: str = "text",
    metadata: dict | None = None,
    client_message_id: str = "",
    visitor: Visitor | None = None,
    agent: User | None = None,
    public_id: str = "",
) -> tuple[Message, bool]:
    """Adds a message (``(message, created)``); 409 when the conversation is closed. ``public_id``: an id
    handed out before the message existed (a streamed AI reply announces the id it will have)."""
    client_message_id = (client_message_id or "").strip()
    sender = {"sender_type": sender_type, "sender_visitor": visitor, "sender_agent": agent}
    if client_message_id:
        found = _existing(conversation, client_message_id, sender)
        if found is not None:
            return found, False
    conversation.require_active()
    try:
        with transaction.atomic():
            message = Message.objects.create(
                tenant=conversation.tenant,
                conversation=conversation,
                **sender,
                body=body,
                message_type=message_type or "text",
                metadata=metadata or {},
                client_message_id=client_message_id,
                **({"public_id": public_id} if public_id else {}),
            )
            Conversation.objects.for_tenant(conversation.tenant).filter(
                Q(last_message_at__lt=message.created_at) | Q(last_message_at__isnull=True), pk=conversation.pk
            ).update(last_message_at=message.created_at, updated_at=message.created_at)
            conversation.last_message_at = max(conversation.last_message_at, message.created_at)
            message.conversation = conversation
            emit(tenant=conversation.tenant, event_type="message.created", instance=message)
            return message, True
    except IntegrityError:
        if not client_message_id:
            raise
        found = _existing(conversation, client_message_id, sender)
        if found is None:
            raise
        return found, False


def _own_live_message(conversation: Conversation, visitor: Visitor, message_id: str) -> Message:
    """The visitor's own message, locked for a change; the conversation must still be active (409)."""
    conversation.require_active()
    message = conversation_message_get(conversation=conversation, message_id=message_id, for_update=True)
    if message.sender_type != SenderType.VISITOR or message.sender_visitor_id != visitor.pk:
        raise ApiError(ErrorCode.PERMISSION_DENIED, "Only the sender may change this message.", status=403)
    return message


@transaction.atomic
def message_edit(*, conversation: Conversation, visitor: Visitor, message_id: str, body=None, metadata=None) -> Message:
    """Edits the visitor's own live message (``editedAt`` set); a deleted one is 409."""
    if body is None and metadata is None:
        raise validation_failed(["body: send body or metadata to change."])
    message = _own_live_message(conversation, visitor, message_id)
    if message.deleted_at is not None:
        raise ApiError(ErrorCode.CONFLICT, "This message was deleted.", status=409)
    fields = ["edited_at"]
    if body is not None:
        message.body = body
        fields.append("body")
    if metadata is not None:
        message.metadata = metadata
        fields.append("metadata")
    message.edited_at = timezone.now()
    message.save(update_fields=fields)
    emit(tenant=conversation.tenant, event_type="message.updated", instance=message)
    return message


@transaction.atomic
def message_delete(*, conversation: Conversation, visitor: Visitor, message_id: str) -> Message:
    """Soft-deletes the visitor's own message; deleting it again changes nothing."""
    message = _own_live_message(conversation, visitor, message_id)
    if message.deleted_at is None:
        message.deleted_at = timezone.now()
        message.save(update_fields=["deleted_at"])
        emit(
            tenant=conversation.tenant,
            event_type="message.deleted",
            instance=message,
        )
    return message


# --- receipts ----------------------------------------------------------------------------


@transaction.atomic
def receipt_mark(
    *, conversation: Conversation, message_id: str, participant_type: ParticipantType, participant_id: str, read: bool
) -> tuple[Receipt, Message]:
    """Delivered (``read=False``) or read (which implies delivered); idempotent: the first times stay."""
    message = conversation_message_get(conversation=conversation, message_id=message_id)
    now = timezone.now()
    tenant = conversation.tenant
    Receipt.objects.bulk_create(
        [
            Receipt(
                tenant=tenant,
                message=message,
                participant_type=participant_type,
                participant_id=participant_id,
                delivered_at=now,
            )
        ],
        ignore_conflicts=True,
    )
    receipts = Receipt.objects.for_tenant(tenant).filter(
        message=message, participant_type=participant_type, participant_id=participant_id
    )
    newly_read = read and receipts.filter(read_at__isnull=True).update(read_at=now)
    receipt = receipts.get()
    receipt.message = message
    if newly_read:
        emit(tenant=tenant, event_type="message.read", instance=receipt)
    return receipt, message


# --- lists -------------------------------------------------------------------------------


def conversation_messages(*, conversation: Conversation, limit: int, before: str | None = None):
    """Up to ``limit`` messages older than message ``before`` (or the newest), oldest first;
    the cursor for the next (older) page is the oldest returned message's id, or None."""
    messages = Message.objects.for_tenant(conversation.tenant).filter(conversation=conversation)
    if before:
        anchor = messages.filter(public_id=before).values("created_at", "id").first() if _plausible(before) else None
        if anchor is None:
            raise validation_failed(["before: not a message of this conversation."])
        messages = messages.filter(
            Q(created_at__lt=anchor["created_at"]) | Q(created_at=anchor["created_at"], id__lt=anchor["id"])
        )
    rows = list(messages.select_related(*MESSAGE_RELATED).order_by("-created_at", "-id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    for row in rows:
        row.conversation = conversation
    rows.reverse()
    return rows, (rows[0].public_id if more and rows else None)
