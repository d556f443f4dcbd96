"""Extraction and indexing of one knowledge document (the body of the indexing task).

Indexing replaces a document's passages in one transaction (old passages deleted, new
ones inserted and vectorised, status set), so search sees the old passages or the new
ones, never a mix or nothing: during a reindex the old passages stay searchable. A
failed extraction removes the passages and records the reason (status ``failed``).
"""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone

from apps.ai.knowledge import extract as extraction
from apps.ai.knowledge import fetch as fetching
from apps.ai.knowledge.search import vector_expression
from apps.ai.knowledge.text import chunk_text
from apps.ai.models import KnowledgeChunk, KnowledgeDocument, KnowledgeKind, KnowledgeStatus


def _source_text(document: KnowledgeDocument) -> extraction.Extracted:
    if document.kind == KnowledgeKind.URL:
        fetched = fetching.fetch(document.source)
        content_type = {"application/xhtml+xml": extraction.HTML, "text/markdown": extraction.TEXT}.get(
            fetched.content_type, fetched.content_type
        )
        found = extraction.extract(fetched.body, name=fetched.url, content_type=content_type)
        return extraction.Extracted(
            found.title if found.title != fetched.url else document.source, found.text, found.content_type
        )
    return extraction.extract(bytes(document.source_bytes or b""), name=document.source)


def knowledge_document_index(*, document_pk: int) -> str:
    """Extracts and indexes one document (the task body); returns the resulting status.

    Extraction (and a URL fetch) happens outside any transaction; the swap of passages is
    atomic and re-reads the document under a lock, so a delete that won meanwhile wins.
    """
    document = KnowledgeDocument.objects.cross_tenant().filter(pk=document_pk).first()
    if document is None:
        return "deleted"
    try:
        extracted = _source_text(document)
        chunks = chunk_text(extracted.text)
        problem = "" if chunks else "No text could be extracted."
    except (extraction.ExtractionError, fetching.FetchError) as exc:
        extracted, chunks, problem = None, [], str(exc)
    with transaction.atomic():
        current = (
            KnowledgeDocument.objects.for_tenant(document.tenant)
            .select_for_update()
            .defer("source_bytes")
            .filter(pk=document_pk)
            .first()
        )
        if current is None:
            return "deleted"
        KnowledgeChunk.objects.for_tenant(current.tenant).filter(document=current).delete()
        if problem:
            current.status, current.status_reason = KnowledgeStatus.FAILED, problem[:500]
            current.chunk_count = 0
            current.save(update_fields=["status", "status_reason", "chunk_count"])
            return current.status
        KnowledgeChunk.objects.bulk_create(
            [
                KnowledgeChunk(tenant_id=current.tenant_id, document=current, position=i, content=text)
                for i, text in enumerate(chunks)
            ],
            batch_size=500,
        )
        current.title = (extracted.title or current.source)[:300]
        if connection.vendor == "postgresql":
            KnowledgeChunk.objects.for_tenant(current.tenant).filter(document=current).update(
                search_vector=vector_expression(current.title)
            )
        current.content_type = extracted.content_type
        current.status, current.status_reason = KnowledgeStatus.READY, ""
        current.chunk_count = len(chunks)
        current.indexed_at = timezone.now()
        current.save(update_fields=["title", "content_type", "status", "status_reason", "chunk_count", "indexed_at"])
        return current.status
