"""Knowledge base writes: upload, URL ingest, (re)indexing, delete.

Requests only validate and record a ``queued`` item; extraction and indexing run in the
``ai.index_knowledge_document`` Celery task (``apps.ai.knowledge.indexing``), enqueued on
commit.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from apps.ai import tasks
from apps.ai.knowledge import extract as extraction
from apps.ai.knowledge import fetch as fetching
from apps.ai.models import KnowledgeDocument, KnowledgeKind, KnowledgeStatus
from apps.plans import entitlements
from apps.tenants.models import Tenant
from apps.tenants.services import tenant_row_lock
from ringnity.api.errors import ApiError, ErrorCode, not_found, validation_failed

KNOWLEDGE_QUOTA = "knowledge_documents"
KNOWLEDGE_FEATURE = "knowledge_base"
MAX_URL_LENGTH = 2048


def knowledge_document_count(tenant) -> int:
    """Usage counter of the ``knowledge_documents`` quota (registered in AppConfig.ready)."""
    return KnowledgeDocument.objects.for_tenant(tenant).count()


def knowledge_ready_count(tenant) -> int:
    """Indexed documents, for AI readiness (``apps.developer.capabilities.register_knowledge_counter``)."""
    return KnowledgeDocument.objects.for_tenant(tenant).filter(status=KnowledgeStatus.READY).count()


def _reserve_slot(tenant: Tenant) -> None:
    """Checks the plan inside the caller's transaction, serialised per tenant by the tenant row lock.

    Two concurrent uploads at ``limit - 1`` documents would otherwise both see room.
    """
    ent = entitlements.for_tenant(tenant)
    ent.require_feature(KNOWLEDGE_FEATURE)
    tenant_row_lock(tenant)
    ent.require_quota(KNOWLEDGE_QUOTA, requested_total=knowledge_document_count(tenant) + 1)


def _enqueue(document: KnowledgeDocument) -> None:
    transaction.on_commit(lambda: tasks.index_knowledge_document.delay(document.pk))


@transaction.atomic
def knowledge_document_upload(*, tenant: Tenant, name: str, data: bytes) -> KnowledgeDocument:
    """Records an uploaded file (type checked by content, size and quota checked) and queues indexing."""
    name = (name or "").replace("\x00", "").strip()[:255]
    limit = settings.AI_KNOWLEDGE_MAX_UPLOAD_BYTES
    problems = []
    extension = extraction.extension_of(name)
    detected = extraction.detect_type(data)
    if not data:
        problems.append("file: the file is empty.")
    elif len(data) > limit:
        problems.append(f"file: larger than {limit} bytes.")
    elif extension not in extraction.EXTENSIONS:
        problems.append("file: upload a .txt, .md, .html or .pdf file.")
    elif detected not in extraction.EXTENSIONS[extension]:
        problems.append(f"file: the content is not a {extension} file.")
    if problems:
        raise validation_failed(problems)
    _reserve_slot(tenant)
    document = KnowledgeDocument.objects.create(
        tenant=tenant,
        kind=KnowledgeKind.FILE,
        title=name,
        source=name,
        content_type=detected,
        size_bytes=len(data),
        source_bytes=data,
    )
    _enqueue(document)
    return document


def knowledge_url_add(*, tenant: Tenant, url: str) -> KnowledgeDocument:
    """Records a URL to ingest and queues it.

    Its shape and the addresses its host resolves to are checked now (``fetch.check_public_url``:
    an internal address is 400 ``VALIDATION_FAILED`` naming ``url`` and takes no quota slot), before
    the transaction so the bounded DNS wait holds no row lock; the task checks again when it fetches.
    """
    url = (url or "").strip()
    if len(url) > MAX_URL_LENGTH:
        raise validation_failed([f"url: at most {MAX_URL_LENGTH} characters."])
    try:
        fetching.check_public_url(url)
    except fetching.FetchError as exc:
        raise validation_failed([f"url: {exc}"]) from exc
    return _url_document_create(tenant=tenant, url=url)


@transaction.atomic
def _url_document_create(*, tenant: Tenant, url: str) -> KnowledgeDocument:
    _reserve_slot(tenant)
    document = KnowledgeDocument.objects.create(tenant=tenant, kind=KnowledgeKind.URL, title=url, source=url)
    _enqueue(document)
    return document


def knowledge_document_get(*, tenant, document_id: str, for_update: bool = False) -> KnowledgeDocument:
    documents = KnowledgeDocument.objects.for_tenant(tenant).defer("source_bytes")
    if for_update:
        documents = documents.select_for_update()
    document = documents.filter(public_id=str(document_id)[:32]).first()
    if document is None:
        raise not_found("Knowledge item")
    return document


@transaction.atomic
def knowledge_document_reindex(*, tenant, document_id: str) -> KnowledgeDocument:
    """Queues a fresh extraction; the current passages stay searchable until it replaces them."""
    document = knowledge_document_get(tenant=tenant, document_id=document_id, for_update=True)
    document.status = KnowledgeStatus.QUEUED
    document.status_reason = ""
    document.save(update_fields=["status", "status_reason"])
    _enqueue(document)
    return document


@transaction.atomic
def knowledge_document_delete(*, tenant, document_id: str) -> str:
    """Deletes the item and (by cascade) its passages; returns its public id."""
    document = knowledge_document_get(tenant=tenant, document_id=document_id, for_update=True)
    public_id = document.public_id
    document.delete()
    return public_id


def knowledge_document_missing(code: ErrorCode = ErrorCode.NOT_FOUND) -> ApiError:
    return not_found("Knowledge item", code=code)
