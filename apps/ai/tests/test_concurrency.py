"""Concurrent uploads never exceed the knowledge_documents quota (PostgreSQL: real threads, real transactions)."""

import pytest

from apps.ai.knowledge_services import knowledge_document_upload
from apps.ai.models import KnowledgeDocument
from apps.ai.tests.factories import ai_tenant
from ringnity.testing.ci import require_postgresql
from ringnity.testing.concurrency import run_parallel

WORKERS = 8
LIMIT = 3


@pytest.mark.django_db(transaction=True)
def test_parallel_uploads_stop_exactly_at_the_quota():
    require_postgresql()
    tenant = ai_tenant(quotas={"knowledge_documents": LIMIT, "ai_chat_replies": 10})
    run = run_parallel(
        lambda i: knowledge_document_upload(tenant=tenant, name=f"doc{i}.txt", data=b"parallel text").pk, WORKERS
    )
    assert run.errors == []
    assert len(run.results) == LIMIT
    assert run.refused == ["QUOTA_EXCEEDED"] * (WORKERS - LIMIT)
    assert KnowledgeDocument.objects.filter(tenant=tenant).count() == LIMIT
    assert set(KnowledgeDocument.objects.filter(tenant=tenant).values_list("status", flat=True)) == {"ready"}
