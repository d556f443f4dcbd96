"""The contract's chat shapes (``Conversation``, ``Message``, ``Assignment``, ...), also webhook payloads.

Optional string fields are omitted when empty (the contract types them ``string``, not null).
Callers load the related rows with ``CONVERSATION_RELATED`` / ``MESSAGE_RELATED`` so building
a page of payloads costs no query per row.
"""

from __future__ import annotations

from django.urls import reverse

from apps.chat.models import Assignment, Attachment, Conversation, Message, Receipt
from ringnity.api.outputs import iso_utc

CONVERSATION_RELATED = ("visitor", "contact", "department", "assigned_agent")
MESSAGE_RELATED = ("conversation", "sender_agent", "sender_visitor__contact")


def _compact(data: dict) -> dict:
    return {key: value for key, value in data.items() if value not in (None, "")}


def conversation_payload(conversation: Conversation) -> dict:
    return _compact(
        {
            "conversationId": conversation.public_id,
            "conversationNumber": str(conversation.number),
            "ticketId": conversation.public_id,
            "contactId": conversation.contact.public_id if conversation.contact_id else None,
            "visitorId": conversation.visitor.public_id,
            "departmentId": conversation.department.public_id if conversation.department_id else None,
            "assignedAgentId": conversation.assigned_agent.public_id if conversation.assigned_agent_id else None,
            "channel": conversation.channel,
            "status": conversation.status,
            "priority": conversation.priority,
            "subject": conversation.subject,
            "lastMessageAt": iso_utc(conversation.last_message_at),
            "createdAt": iso_utc(conversation.created_at),
            "updatedAt": iso_utc(conversation.updated_at),
        }
    ) | {"status": conversation.status}


def message_payload(message: Message) -> dict:
    """A deleted message keeps its ids and times; its body is empty and its metadata gone."""
    deleted = message.deleted_at is not None
    visitor = message.sender_visitor if message.sender_visitor_id else None
    data = _compact(
        {
            "messageId": message.public_id,
            "conversationId": message.conversation.public_id,
            "senderType": message.sender_type,
            "senderAgentId": message.sender_agent.public_id if message.sender_agent_id else None,
            "senderContactId": visitor.contact.public_id if visitor is not None and visitor.contact_id else None,
            "messageType": message.message_type,
            "clientMessageId": message.client_message_id,
            "sentAt": iso_utc(message.created_at),
            "editedAt": iso_utc(message.edited_at),
            "deletedAt": iso_utc(message.deleted_at),
        }
    )
    data["body"] = "" if deleted else message.body
    data["metadata"] = {} if deleted else dict(message.metadata or {})
    return data


def deleted_payload(message: Message, *, deleted_by: str = "") -> dict:
    """The ``message.deleted`` event: which message, when, and who (a visitor or agent id)."""
    return _compact(
        {
            "messageId": message.public_id,
            "conversationId": message.conversation.public_id,
            "deletedAt": iso_utc(message.deleted_at),
            "deletedBy": deleted_by,
        }
    )


def attachment_payload(attachment: Attachment, *, download_route: str = "chat-visitor-attachment-download") -> dict:
    data = _compact(
        {
            "attachmentId": attachment.public_id,
            "conversationId": attachment.conversation.public_id,
            "messageId": attachment.message.public_id if attachment.message_id else None,
            "filename": attachment.original_filename,
            "contentType": attachment.content_type or attachment.declared_content_type,
            "status": attachment.status,
            "createdAt": iso_utc(attachment.created_at),
            "deletedAt": iso_utc(attachment.deleted_at),
        }
    )
    data["size"] = attachment.size
    data["metadata"] = dict(attachment.metadata or {})
    if attachment.status == "uploaded":
        data["downloadUrl"] = reverse(
            download_route,
            kwargs={"conversationId": attachment.conversation.public_id, "attachmentId": attachment.public_id},
        )
    return data


def assignment_payload(assignment: Assignment, *, tenant) -> dict:
    return {
        "assignmentId": assignment.public_id,
        "conversationId": assignment.conversation.public_id,
        "clientId": tenant.public_id,
        "assignedAgentId": assignment.assigned_agent.public_id if assignment.assigned_agent_id else None,
        "assignedDepartmentId": (
            assignment.assigned_department.public_id if assignment.assigned_department_id else None
        ),
        "assignedByAgentId": assignment.assigned_by.public_id if assignment.assigned_by_id else None,
        "reason": assignment.reason or None,
        "createdAt": iso_utc(assignment.created_at),
    }


def receipt_payload(receipt: Receipt, *, message: Message) -> dict:
    return _compact(
        {
            "messageId": message.public_id,
            "conversationId": message.conversation.public_id,
            "participantType": receipt.participant_type,
            "participantId": receipt.participant_id,
            "deliveredAt": iso_utc(receipt.delivered_at),
            "readAt": iso_utc(receipt.read_at),
        }
    ) | {"delivered": True, "read": receipt.read_at is not None}
