"""Celery tasks of the AI app: they take ids, are idempotent and carry their retry policy."""

from celery import shared_task

from apps.ai.knowledge.indexing import knowledge_document_index


@shared_task(name="ai.index_knowledge_document", autoretry_for=(OSError,), retry_backoff=30, max_retries=3)
def index_knowledge_document(document_pk: int) -> str:
    """Extracts and indexes one document. Re-running replaces its passages again (idempotent).

    Expected failures (bad file, refused or unreachable URL) are recorded on the document
    as ``failed`` with the reason, not retried; only unexpected I/O errors retry.
    """
    return knowledge_document_index(document_pk=document_pk)
