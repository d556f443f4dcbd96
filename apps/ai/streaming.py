"""Streamed AI replies: ``POST /ai/visitor/chat`` with ``stream: true``.

The request runs the same steps 1-2 as a plain reply (``services.ai_chat_prepare``: checks, provider
input, the hold), stores the visitor's message, and answers at once with the ids the reply will have
(``metadata.stream``, ``metadata.messageId``). The Celery task ``ai.stream_reply`` then calls the
provider's streaming API (``Provider.reply_stream``; the extractive provider streams its passage) and
hands every piece to the registered sinks as it comes: the realtime gateway sends them as ``ai.delta``
frames to the conversation's participants. The reply is stored and metered exactly as a plain reply
(``services.reply_store``: the announced message id, the hold settled with the real tokens), and the
sinks get ``done`` with the stored message. The pieces concatenate to the stored text
(``providers.base.DeltaStream``). A provider failure releases the hold and hands the conversation to
the agents, as a plain reply does; ``done`` then carries the error.

The sinks are registered by the apps above (``register_stream_sink`` in ``AppConfig.ready()``), so this
app knows nothing of the gateway.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from apps.ai import metering, services, tasks
from apps.ai.models import AiConversation
from apps.ai.providers import ProviderError, current_provider
from apps.ai.providers.base import DeltaStream
from apps.billing.models import AiHold
from apps.chat.api.outputs import MessageOutput
from apps.chat.models import Message, message_public_id

logger = logging.getLogger("apps.ai")


@dataclass(frozen=True)
class StreamEvent:
    """One piece (``delta``) or the end (``done``) of a streamed reply."""

    kind: str  # "delta" | "done"
    tenant_id: int
    conversation_id: str
    message_id: str
    seq: int = 0
    delta: str = ""
    message: dict | None = None
    error: dict | None = None


_sinks: dict[str, Callable[[StreamEvent], None]] = {}


def register_stream_sink(name: str, sink: Callable[[StreamEvent], None]) -> None:
    _sinks[name] = sink


def _emit(event: StreamEvent) -> None:
    for name, sink in list(_sinks.items()):
        try:
            sink(event)
        except Exception:  # a sink's failure never stops the reply from being stored and metered
            logger.exception("AI stream sink %s failed", name)


def ai_chat_stream(**exchange) -> dict:
    """``services.ai_chat_send`` (the same keyword arguments) with the reply by ``ai.stream_reply``: steps 1-3
    now, and the ``AiChat`` data with the reply's future id."""
    prepared = services.ai_chat_prepare(**exchange)
    if isinstance(prepared, dict):
        return prepared  # the AI stays silent (hand-off): nothing to stream
    visitor, message, client_message_id = exchange["visitor"], exchange["message"], exchange["client_message_id"]
    reply_id = message_public_id()
    try:
        with transaction.atomic():
            stored = services.visitor_message_store(prepared.ai_conversation, visitor, message, client_message_id)
            hold_id, stored_id = prepared.hold.pk, stored.pk
            transaction.on_commit(lambda: tasks.stream_reply.delay(hold_id, stored_id, reply_id))
    except Exception:
        metering.reply_release(hold=prepared.hold)
        raise
    return services.chat_answer(prepared.ai_conversation, "", False, {"stream": True, "messageId": reply_id})


def stream_reply(*, hold_id: int, visitor_message_id: int, reply_id: str) -> str:
    """The task's work: stream, store, meter, signal ``done``. Idempotent: a stored reply is not made again."""
    visitor_message = Message.objects.select_related("conversation__tenant").get(pk=visitor_message_id)
    conversation = visitor_message.conversation
    tenant = conversation.tenant
    if Message.objects.for_tenant(tenant).filter(public_id=reply_id).exists():
        return "stored"
    ai_conversation = (
        AiConversation.objects.for_tenant(tenant).select_related("conversation").get(conversation=conversation)
    )
    ai_conversation.tenant = tenant
    hold = AiHold.objects.for_tenant(tenant).get(pk=hold_id)
    provider = current_provider()
    given = services.provider_input(conversation, visitor_message.body, before=visitor_message)
    context, passages = given.context, given.passages
    base = {"tenant_id": tenant.pk, "conversation_id": conversation.public_id, "message_id": reply_id}
    pieces = iter(range(1_000_000))

    def on_delta(piece: str) -> None:
        _emit(StreamEvent("delta", seq=next(pieces), delta=piece, **base))

    stream = DeltaStream(on_delta, marker=getattr(provider, "handoff_marker", ""))
    try:
        if hasattr(provider, "reply_stream"):
            reply = provider.reply_stream(context, passages, metering.limits(), stream)
        else:
            reply = provider.reply(context, passages, metering.limits())
            stream.feed(reply.text)
            stream.finish()
    except ProviderError:
        answer = services.provider_failed(ai_conversation, hold, provider)
        _emit(StreamEvent("done", error={"code": "AI_NOT_READY", "message": answer["message"]}, **base))
        return "failed"
    except Exception:
        metering.reply_release(hold=hold)
        raise
    stored, _, _ = services.reply_store(ai_conversation, hold, reply, public_id=reply_id)
    stored.conversation = conversation
    _emit(StreamEvent("done", message=dict(MessageOutput(stored).data), **base))
    return "stored"
