"""Celery tasks of the AI app: they take ids, are idempotent and carry their retry policy."""

from celery import shared_task

from apps.ai import draft_services, streaming, voice_services  # modules: they import this one to enqueue tasks
from apps.ai.knowledge.indexing import knowledge_document_index


@shared_task(name="ai.index_knowledge_document", autoretry_for=(OSError,), retry_backoff=30, max_retries=3)
def index_knowledge_document(document_pk: int) -> str:
    """Extracts and indexes one document. Re-running replaces its passages again (idempotent).

    Expected failures (bad file, refused or unreachable URL) are recorded on the document
    as ``failed`` with the reason, not retried; only unexpected I/O errors retry.
    """
    return knowledge_document_index(document_pk=document_pk)


@shared_task(name="ai.end_voice_session_at_cap")
def end_voice_session_at_cap(session_id: str) -> str:
    """Counted down from the start to the cap: ends the session if it is due (else the beat sweep will)."""
    session = voice_services.voice_session_end_if_due(session_id=session_id)
    return session.end_reason if session and session.ended_at else "not due"


@shared_task(name="ai.end_overdue_voice_sessions", autoretry_for=(Exception,), retry_backoff=30, max_retries=3)
def end_overdue_voice_sessions() -> int:
    """Every minute: ends voice sessions past their cap whose countdown was lost. Idempotent."""
    return voice_services.voice_sessions_end_overdue()


@shared_task(name="ai.draft_reply", autoretry_for=(OSError,), retry_backoff=30, max_retries=2)
def draft_reply(message_pk: int) -> str:
    """Drafts the agents' suggested reply to one visitor message (``ai_assisted``). Idempotent."""
    draft = draft_services.ai_draft_write(message_pk=message_pk)
    return draft.status if draft else "nothing to draft"


@shared_task(name="ai.stream_reply")
def stream_reply(hold_id: int, visitor_message_id: int, reply_id: str) -> str:
    """A streamed reply (``stream: true``): provider stream, ``ai.delta`` pieces, stored and metered once."""
    return streaming.stream_reply(hold_id=hold_id, visitor_message_id=visitor_message_id, reply_id=reply_id)
