"""Admin SDK knowledge base: upload, URL ingest, reindex, delete; and visitor knowledge search."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.ai.models import KnowledgeChunk, KnowledgeDocument
from apps.ai.tests.factories import admin_headers, ai_tenant, indexed_document, pdf_bytes, visitor_headers
from apps.runtime.tests.fixtures import runtime_headers
from apps.runtime.tokens import TokenKind
from ringnity.testing.contract import assert_contract as checked

pytestmark = pytest.mark.django_db

DOCS = "/api/admin-sdk/ai/knowledge/documents"
URLS = "/api/admin-sdk/ai/knowledge/urls"
SEARCH = "/api/ai/visitor/knowledge/search"


def upload(client, tenant, name, data, headers=None):
    """Every response of these helpers is checked against the contract (status checked by the caller)."""
    response = client.post(
        DOCS, {"file": SimpleUploadedFile(name, data)}, format="multipart", **(headers or admin_headers(tenant))
    )
    checked(response, "uploadAdminKnowledgeDocument")
    return response


def search(client, tenant, query, **extra):
    response = client.post(SEARCH, {"query": query, **extra}, format="json", **visitor_headers(tenant))
    checked(response, "searchAiVisitorKnowledge")
    return response


def sources(response) -> list[str]:
    return [result["source"] for result in response.json()["data"]["results"]]


def test_uploaded_text_is_queued_then_ready_and_searchable(
    api_client, assert_contract, django_capture_on_commit_callbacks
):
    tenant = ai_tenant()
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(api_client, tenant, "returns.md", b"# Returns\n\nYou can return any item within 30 days.")
    body = assert_contract(response, "uploadAdminKnowledgeDocument", status=201)
    assert body["data"]["status"] == "queued"
    document = KnowledgeDocument.objects.get(public_id=body["data"]["id"])
    assert (document.status, document.chunk_count, document.content_type) == ("ready", 1, "text/markdown")
    found = assert_contract(search(api_client, tenant, "return an item"), "searchAiVisitorKnowledge", status=200)
    result = found["data"]["results"][0]
    assert (result["source"], result["title"]) == ("returns.md", "Returns")
    assert "30 days" in result["snippet"]
    assert result["score"] > 0


def test_a_pdf_becomes_searchable(api_client, assert_contract, django_capture_on_commit_callbacks):
    tenant = ai_tenant()
    data = pdf_bytes(["Warranty terms", "Every blender carries a two year warranty."], title="Warranty")
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(api_client, tenant, "warranty.pdf", data)
    assert_contract(response, "uploadAdminKnowledgeDocument", status=201)
    document = KnowledgeDocument.objects.get()
    assert (document.status, document.title, document.content_type) == ("ready", "Warranty", "application/pdf")
    assert sources(search(api_client, tenant, "blender warranty")) == ["warranty.pdf"]


def test_an_html_upload_indexes_the_main_text_not_the_navigation(api_client, django_capture_on_commit_callbacks):
    tenant = ai_tenant()
    page = (
        b"<!doctype html><html><head><title>Opening hours</title><script>var secretword=1</script></head>"
        b"<body><nav>zebra menu</nav><main><p>Our shop opens at nine every weekday morning.</p></main></body></html>"
    )
    with django_capture_on_commit_callbacks(execute=True):
        upload(api_client, tenant, "hours.html", page)
    assert KnowledgeDocument.objects.get().title == "Opening hours"
    assert sources(search(api_client, tenant, "when does the shop open")) == ["hours.html"]
    assert sources(search(api_client, tenant, "zebra")) == []
    assert sources(search(api_client, tenant, "secretword")) == []


@pytest.mark.parametrize(
    ("name", "data", "problem"),
    [
        ("notes.txt", pdf_bytes(["hello"]), "file: the content is not a .txt file."),
        ("page.html", b"just some plain words", "file: the content is not a .html file."),
        ("image.png", b"\x89PNG\r\n\x1a\n\x00\x00", "file: upload a .txt, .md, .html or .pdf file."),
        ("binary.txt", b"\x00\x01\x02\xff", "file: the content is not a .txt file."),
        ("empty.txt", b"", "file: the file is empty."),
    ],
)
def test_uploads_are_checked_by_content_and_nothing_is_written(api_client, assert_contract, name, data, problem):
    tenant = ai_tenant()
    body = assert_contract(upload(api_client, tenant, name, data), "uploadAdminKnowledgeDocument", status=400)
    assert (body["code"], body["details"]) == ("VALIDATION_FAILED", [problem])
    assert not KnowledgeDocument.objects.exists()


def test_an_upload_over_the_size_limit_is_refused(api_client, assert_contract, settings):
    settings.AI_KNOWLEDGE_MAX_UPLOAD_BYTES = 100
    tenant = ai_tenant()
    body = assert_contract(upload(api_client, tenant, "big.txt", b"a" * 101), "uploadAdminKnowledgeDocument", 400)
    assert body["details"] == ["file: larger than 100 bytes."]
    assert not KnowledgeDocument.objects.exists()


def test_a_request_without_a_file_part_lists_the_file(api_client, assert_contract):
    tenant = ai_tenant()
    response = api_client.post(DOCS, {"other": "x"}, format="multipart", **admin_headers(tenant))
    assert assert_contract(response, "uploadAdminKnowledgeDocument", status=400)["details"] == [
        "file: a file part is required."
    ]


def test_the_knowledge_documents_quota_counts_every_item(api_client, assert_contract):
    tenant = ai_tenant(quotas={"knowledge_documents": 1, "ai_chat_replies": 10})
    assert_contract(upload(api_client, tenant, "a.txt", b"first"), "uploadAdminKnowledgeDocument", status=201)
    body = assert_contract(upload(api_client, tenant, "b.txt", b"second"), "uploadAdminKnowledgeDocument", 400)
    assert body["code"] == "QUOTA_EXCEEDED"
    response = api_client.post(URLS, {"url": "https://example.com/faq"}, format="json", **admin_headers(tenant))
    assert assert_contract(response, "ingestAdminKnowledgeUrl", status=400)["code"] == "QUOTA_EXCEEDED"
    assert KnowledgeDocument.objects.count() == 1


def test_a_plan_without_the_knowledge_base_cannot_upload(api_client, assert_contract):
    tenant = ai_tenant(features={"ai_chat": True}, quotas={"knowledge_documents": 5})
    body = assert_contract(upload(api_client, tenant, "a.txt", b"x"), "uploadAdminKnowledgeDocument", status=403)
    assert body["code"] == "FEATURE_NOT_AVAILABLE"


def test_only_admin_tokens_with_the_knowledge_scope_may_write(api_client, assert_contract):
    tenant = ai_tenant()
    response = upload(api_client, tenant, "a.txt", b"x", headers=visitor_headers(tenant))
    assert assert_contract(response, "uploadAdminKnowledgeDocument", status=401)["code"] == "AUTH_TOKEN_INVALID"
    response = upload(api_client, tenant, "a.txt", b"x", headers=admin_headers(tenant, scopes=["admin:read"]))
    assert assert_contract(response, "uploadAdminKnowledgeDocument", status=403)["details"] == [
        "missing scope: admin:knowledge:write"
    ]
    response = api_client.post(DOCS, {"file": SimpleUploadedFile("a.txt", b"x")}, format="multipart")
    assert assert_contract(response, "uploadAdminKnowledgeDocument", status=401)["code"] == "SDK_SESSION_REQUIRED"
    agent = runtime_headers(tenant, TokenKind.AGENT, subject="nobody")
    assert api_client.delete("/api/admin-sdk/ai/knowledge/kn_x", **agent).status_code == 401
    assert not KnowledgeDocument.objects.exists()


def test_delete_removes_the_item_and_its_passages(api_client, assert_contract):
    tenant = ai_tenant()
    document = indexed_document(tenant, "faq.txt", "Parcels are delivered by courier.")
    response = api_client.delete(f"/api/admin-sdk/ai/knowledge/{document.public_id}", **admin_headers(tenant))
    assert assert_contract(response, "deleteAdminKnowledge", status=200)["data"] == {
        "id": document.public_id,
        "deleted": True,
    }
    assert not KnowledgeDocument.objects.exists()
    assert not KnowledgeChunk.objects.exists()
    again = api_client.delete(f"/api/admin-sdk/ai/knowledge/{document.public_id}", **admin_headers(tenant))
    assert assert_contract(again, "deleteAdminKnowledge", status=404)["code"] == "NOT_FOUND"


def test_another_tenants_item_is_not_found_for_reindex_and_delete(api_client, assert_contract):
    mine, other = ai_tenant(), ai_tenant()
    theirs = indexed_document(other, "secret.txt", "Internal discount code is ZEBRA.")
    headers = admin_headers(mine)
    response = api_client.post(f"/api/admin-sdk/ai/knowledge/{theirs.public_id}/reindex", **headers)
    assert assert_contract(response, "reindexAdminKnowledge", status=404)["code"] == "NOT_FOUND"
    response = api_client.delete(f"/api/admin-sdk/ai/knowledge/{theirs.public_id}", **headers)
    assert assert_contract(response, "deleteAdminKnowledge", status=404)["code"] == "NOT_FOUND"
    assert KnowledgeChunk.objects.filter(document=theirs).count() == 1


def test_search_never_returns_another_tenants_passages(api_client, assert_contract):
    mine, other = ai_tenant(), ai_tenant()
    indexed_document(other, "secret.txt", "The internal discount code is ZEBRA.")
    indexed_document(mine, "public.txt", "Discounts are announced in our newsletter.")
    body = assert_contract(search(api_client, mine, "discount code"), "searchAiVisitorKnowledge", status=200)
    assert [r["source"] for r in body["data"]["results"]] == ["public.txt"]
    assert "ZEBRA" not in str(body)


def test_search_input_is_validated_all_at_once(api_client, assert_contract):
    tenant = ai_tenant()
    response = api_client.post(SEARCH, {"query": 5, "limit": 21}, format="json", **visitor_headers(tenant))
    body = assert_contract(response, "searchAiVisitorKnowledge", status=400)
    assert {detail.split(":")[0] for detail in body["details"]} == {"query", "limit"}


def test_search_reads_a_constant_number_of_queries(api_client, django_assert_max_num_queries):
    tenant = ai_tenant()
    for n in range(6):
        indexed_document(tenant, f"doc{n}.txt", f"Shipping option {n}: parcels travel by courier service.")
    headers = visitor_headers(tenant)
    api_client.post(SEARCH, {"query": "warm up"}, format="json", **headers)
    with django_assert_max_num_queries(8):
        response = api_client.post(SEARCH, {"query": "courier parcels", "limit": 20}, format="json", **headers)
    assert len(response.json()["data"]["results"]) == 6
