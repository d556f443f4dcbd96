"""Concurrent uploads never exceed the knowledge_documents quota (PostgreSQL: real threads, real transactions)."""

import os
import threading

import pytest
from django.db import close_old_connections, connection

from apps.ai.knowledge_services import knowledge_document_upload
from apps.ai.models import KnowledgeDocument
from apps.ai.tests.factories import ai_tenant
from ringnity.api.errors import ApiError

WORKERS = 8
LIMIT = 3


def _require_postgresql():
    if connection.vendor == "postgresql":
        return
    reason = "needs PostgreSQL: concurrent writers serialised by a row lock"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"{reason}; CI=true must run it (DATABASE_URL is {connection.vendor})")
    pytest.skip(reason)


@pytest.mark.django_db(transaction=True)
def test_parallel_uploads_stop_exactly_at_the_quota():
    _require_postgresql()
    tenant = ai_tenant(quotas={"knowledge_documents": LIMIT, "ai_chat_replies": 10})
    barrier = threading.Barrier(WORKERS)
    created, refused, errors = [], [], []

    def work(index):
        try:
            barrier.wait(timeout=10)
            document = knowledge_document_upload(tenant=tenant, name=f"doc{index}.txt", data=b"parallel text")
            created.append(document.pk)
        except ApiError as exc:
            refused.append(exc.code)
        except Exception as exc:  # reported by the assertion below
            errors.append(repr(exc))
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(created) == LIMIT
    assert refused == ["QUOTA_EXCEEDED"] * (WORKERS - LIMIT)
    assert KnowledgeDocument.objects.filter(tenant=tenant).count() == LIMIT
    assert set(KnowledgeDocument.objects.filter(tenant=tenant).values_list("status", flat=True)) == {"ready"}
