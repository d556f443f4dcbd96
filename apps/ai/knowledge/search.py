"""Ranked knowledge search over one tenant's ready documents.

PostgreSQL: the query's content words are OR-ed (``plainto_tsquery`` per word, so the
database's stemming and stop words apply), matched against the GIN-indexed
``search_vector`` (title weighted A, passage B) and ranked with ``ts_rank`` normalised by
passage length. A natural-language question rarely has all its words in one passage, so
AND would miss most answers.

SQLite (the embedded default): BM25 over the tenant's passages, computed in Python with
the normaliser of ``text.terms``. Both paths return the same ``Hit`` shape.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import F, Value

from apps.ai.knowledge import text as textlib
from apps.ai.models import KnowledgeChunk, KnowledgeDocument

MAX_LIMIT = 20
#: SQLite only: the most passages scored in Python for one query.
PYTHON_SCAN_LIMIT = 5000


@dataclass(frozen=True)
class Hit:
    document: KnowledgeDocument
    chunk: KnowledgeChunk
    score: float
    coverage: float

    def as_result(self, query: str) -> dict:
        return {
            "documentId": self.document.public_id,
            "title": self.document.title or self.document.source,
            "snippet": textlib.snippet(self.chunk.content, query),
            "source": self.document.source,
            "sourceType": self.document.kind,
            "score": round(self.score, 4),
        }


def search_config() -> str:
    return settings.AI_KNOWLEDGE_SEARCH_CONFIG


def vector_expression(title: str):
    """The ``search_vector`` of a passage of a document titled ``title``."""
    config = search_config()
    return SearchVector(Value(title or ""), weight="A", config=config) + SearchVector(
        "content", weight="B", config=config
    )


def _ready_chunks(tenant):
    """Passages exist only for documents indexed successfully (a reindex swaps them atomically)."""
    return KnowledgeChunk.objects.for_tenant(tenant)


def _postgres_hits(tenant, query: str, limit: int) -> list[tuple[KnowledgeChunk, float]]:
    query_words = textlib.query_words(query)
    if not query_words:
        return []
    config = search_config()
    ts_query = reduce(or_, [SearchQuery(word, config=config, search_type="plain") for word in query_words])
    rows = (
        _ready_chunks(tenant)
        .filter(search_vector=ts_query)
        .annotate(rank=SearchRank(F("search_vector"), ts_query, normalization=Value(1)))
        .select_related("document")
        .order_by("-rank", "document_id", "position")[:limit]
    )
    return [(chunk, float(chunk.rank)) for chunk in rows]


def _python_hits(tenant, query: str, limit: int) -> list[tuple[KnowledgeChunk, float]]:
    wanted = set(textlib.terms(query))
    if not wanted:
        return []
    chunks = list(_ready_chunks(tenant).select_related("document").order_by("id")[:PYTHON_SCAN_LIMIT])
    if not chunks:
        return []
    bags = [Counter(textlib.terms(f"{c.document.title} {c.content}")) for c in chunks]
    average = sum(sum(bag.values()) for bag in bags) / len(bags) or 1.0
    frequency = {term: sum(1 for bag in bags if term in bag) for term in wanted}
    k1, b = 1.2, 0.75
    scored = []
    for chunk, bag in zip(chunks, bags, strict=True):
        length = sum(bag.values())
        score = 0.0
        for term in wanted:
            tf = bag.get(term, 0)
            if tf:
                idf = math.log(1 + (len(bags) - frequency[term] + 0.5) / (frequency[term] + 0.5))
                score += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / average))
        if score > 0:
            scored.append((chunk, score))
    scored.sort(key=lambda pair: (-pair[1], pair[0].document_id, pair[0].position))
    return scored[:limit]


def search(*, tenant, query: str, limit: int = 5) -> list[Hit]:
    """The best passages of ``tenant``'s indexed documents for ``query``, best first."""
    limit = max(1, min(int(limit), MAX_LIMIT))
    finder = _postgres_hits if connection.vendor == "postgresql" else _python_hits
    return [
        Hit(
            document=chunk.document,
            chunk=chunk,
            score=score,
            coverage=textlib.coverage(query, f"{chunk.document.title} {chunk.content}"),
        )
        for chunk, score in finder(tenant, query, limit)
    ]
