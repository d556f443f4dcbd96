"""Receivers of the AI app, connected in ``AiConfig.ready()``: a saved visitor message may need a draft."""

from django.db.models.signals import post_save

from apps.ai import draft_services
from apps.chat.models import Message


def _message_saved(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        draft_services.draft_request(message=instance)


def connect() -> None:
    post_save.connect(_message_saved, sender=Message, dispatch_uid="ai-draft-on-visitor-message")
