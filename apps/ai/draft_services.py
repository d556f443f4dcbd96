"""Routing mode ``ai_assisted``: the AI never answers the visitor; it drafts a reply for the agents.

When a visitor message is saved in a tenant on ``ai_assisted`` (any channel: live chat or the visitor AI
route), ``draft_request`` (a ``post_save`` receiver, ``apps.ai.signals``) queues the Celery task
``ai.draft_reply`` after commit. The task (``ai_draft_write``) drafts only for the conversation's latest
visitor message (a burst of messages gets one draft), claims the message's one ``AiDraft`` row, places a
reply hold (402/429 → ``skipped`` with the reason; nothing is spent), calls the provider outside any
transaction and stores the text (``ready``) or the failure (``failed``, hold released). A draft is never
a chat message: agents read it with ``listAgentConversationAiDrafts`` and send it themselves.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from apps.ai import metering, tasks
from apps.ai.models import AiDraft, DraftStatus, RoutingMode
from apps.ai.providers import ProviderError, current_provider
from apps.ai.services import ai_settings_get, provider_input
from apps.chat.models import Message, SenderType
from apps.developer import capabilities
from ringnity.api.errors import ApiError

#: Drafts an agent sees for one conversation (newest first).
DRAFTS_SHOWN = 20


def draft_request(*, message: Message) -> None:
    """Queues a draft for a new visitor message when the tenant's routing mode is ``ai_assisted``."""
    if message.sender_type != SenderType.VISITOR:
        return
    if ai_settings_get(tenant=message.tenant).routing_mode != RoutingMode.AI_ASSISTED:
        return
    message_pk = message.pk
    transaction.on_commit(lambda: tasks.draft_reply.delay(message_pk))


def _claim(message: Message) -> AiDraft | None:
    try:
        with transaction.atomic():
            return AiDraft.objects.create(tenant=message.tenant, conversation=message.conversation, message=message)
    except IntegrityError:
        return None  # another run of the task has this message


def _close(draft: AiDraft, status: str, **fields) -> AiDraft:
    for name, value in {"status": status, **fields}.items():
        setattr(draft, name, value)
    draft.save(update_fields=["status", *fields])
    return draft


def ai_draft_write(*, message_pk: int) -> AiDraft | None:
    """Writes the draft for visitor message ``message_pk`` (idempotent; None when there is nothing to draft)."""
    message = Message.objects.cross_tenant().select_related("tenant", "conversation").filter(pk=message_pk).first()
    if message is None or message.deleted_at is not None:
        return None
    tenant, conversation = message.tenant, message.conversation
    conversation.tenant = tenant
    if ai_settings_get(tenant=tenant).routing_mode != RoutingMode.AI_ASSISTED:
        return None
    newer = Message.objects.for_tenant(tenant).filter(
        conversation=conversation, sender_type=SenderType.VISITOR, created_at__gt=message.created_at
    )
    if newer.exists():
        return None  # the newest visitor message gets the draft
    draft = _claim(message)
    if draft is None:
        return AiDraft.objects.filter(message=message).first()
    try:
        capabilities.require_service(tenant, "ai_chat")
        prepared = provider_input(conversation, message.body, before=message)
        provider = current_provider()
        hold = metering.reply_hold(
            tenant=tenant, provider=provider, input_tokens=prepared.input_tokens, reference=draft.public_id
        )
    except ApiError as refused:
        return _close(draft, DraftStatus.SKIPPED, reason=refused.message[:300])
    try:
        reply = provider.reply(prepared.context, prepared.passages, metering.limits())
    except ProviderError as exc:
        metering.reply_release(hold=hold)
        return _close(draft, DraftStatus.FAILED, reason=str(exc)[:300], provider=provider.name)
    except Exception:
        metering.reply_release(hold=hold)
        raise
    with transaction.atomic():
        metering.reply_settle(hold=hold, reply=reply)
        return _close(
            draft,
            DraftStatus.READY,
            body=reply.text,
            provider=reply.provider,
            model=reply.model,
            sources=reply.sources,
        )


def ai_drafts_for_conversation(*, tenant, conversation) -> list[AiDraft]:
    """The conversation's latest drafts, newest first (the caller checked the agent may see it)."""
    drafts = (
        AiDraft.objects.for_tenant(tenant).filter(conversation=conversation).select_related("message", "conversation")
    )
    return list(drafts.order_by("-created_at", "-id")[:DRAFTS_SHOWN])
