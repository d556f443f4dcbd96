"""Keeping rolled-up days honest: a change to an already rolled-up day marks it dirty.

Reports compute dirty days live until the next ``reports.refresh_rollups`` re-rolls them, so a
late close, a reassignment or a call ending after midnight shows at once. Only saves through
the ORM (``save()``/``create()``) send these signals; ``QuerySet.update()`` and ``bulk_create``
do not, which is why every refresh also re-rolls from ``rolled_through`` on and the generator
command refreshes explicitly.
"""

from django.db.models.signals import post_save

from apps.calls.models import CallSession
from apps.chat.models import Conversation, Message
from apps.reports.rollups import mark_dirty


def _conversation_saved(sender, instance: Conversation, created: bool, **kwargs):
    if not created:
        # Status, assignee or close time changed: the creation day's conversation counters and
        # latency, and the days its messages count under the assignee.
        mark_dirty(tenant_id=instance.tenant_id, moments=[instance.created_at, instance.last_message_at])


def _message_saved(sender, instance: Message, created: bool, **kwargs):
    if created and instance.sender_type == "agent" and Message.conversation.is_cached(instance):
        # A first agent reply to an old conversation changes its creation day's first-response time.
        mark_dirty(tenant_id=instance.tenant_id, moments=[instance.conversation.created_at])


def _call_saved(sender, instance: CallSession, created: bool, **kwargs):
    if not created:
        mark_dirty(tenant_id=instance.tenant_id, moments=[instance.started_at])


def connect() -> None:
    post_save.connect(_conversation_saved, sender=Conversation, dispatch_uid="reports.conversation_saved")
    post_save.connect(_message_saved, sender=Message, dispatch_uid="reports.message_saved")
    post_save.connect(_call_saved, sender=CallSession, dispatch_uid="reports.call_saved")
