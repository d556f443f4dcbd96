"""Chat events (``contact.*``, ``conversation.*``, ``message.*``): their types, the serializer that
renders each one's ``data``, and the one way the chat services emit them.

``ChatConfig.ready()`` registers ``EVENTS`` with ``apps.webhooks.catalog``; ``emit``
renders the instance with the registered serializer and hands it to
``apps.webhooks.events.event_emit``, which records the event and its deliveries in the caller's
transaction and sends nothing before that transaction commits (a rolled-back change leaves no event).
"""

from __future__ import annotations

from apps.chat.api.outputs import ContactOutput, ConversationOutput, MessageOutput, ReceiptOutput
from apps.webhooks.catalog import event_data
from apps.webhooks.events import event_emit

#: (event type, the serializer of its ``data``, what happened)
EVENTS = (
    ("contact.created", ContactOutput, "A contact was created (Server API upsert or the agent CRM)."),
    ("contact.updated", ContactOutput, "A contact's fields changed."),
    ("contact.deleted", ContactOutput, "A contact was deleted; `data` is its last state."),
    ("conversation.created", ConversationOutput, "A conversation started."),
    (
        "conversation.updated",
        ConversationOutput,
        "A conversation's status, priority, subject or department changed.",
    ),
    ("conversation.assigned", ConversationOutput, "A conversation was assigned or reassigned to an agent."),
    ("conversation.closed", ConversationOutput, "A conversation was closed."),
    ("message.created", MessageOutput, "A message was sent in a conversation."),
    ("message.updated", MessageOutput, "A message was edited."),
    ("message.read", ReceiptOutput, "A participant read a message (and so every older one): its read receipt."),
    ("message.deleted", MessageOutput, "A message was deleted: its body is empty, `deletedBy` says who deleted it."),
)


def emit(*, tenant, event_type: str, instance) -> None:
    event_emit(tenant=tenant, event_type=event_type, payload=event_data(event_type, instance))
