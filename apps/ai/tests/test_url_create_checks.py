"""URL ingest refuses internal addresses when the URL is submitted (security probe F6), not only
when the task fetches it: a refused URL takes no ``knowledge_documents`` quota slot."""

import pytest

from apps.ai.knowledge import fetch as fetching
from apps.ai.models import KnowledgeDocument
from apps.ai.tests.factories import admin_headers, ai_tenant

pytestmark = pytest.mark.django_db

URLS = "/api/admin-sdk/ai/knowledge/urls"
INTERNAL_URLS = [
    "https://169.254.169.254/latest/meta-data/",
    "http://169.254.169.254/latest/meta-data/",
    "https://127.0.0.1/",
    "http://127.0.0.1:8080/admin",
    "https://[::1]/",
    "http://[::1]:9000/",
    "https://10.0.0.1/",
    "http://10.0.0.1/",
    "https://192.168.1.1/",
    "http://100.64.0.1/",
    "https://localhost/",
    "http://localhost:5432/",
    "http://[::ffff:10.0.0.1]/",
    "http://0.0.0.0/",
    # issue 22, finding 8: the special ranges webhooks refuse (one table for both)
    "http://[2002:7f00:1::]/",
    "https://[2002:a00:1::1]/",
    "http://[64:ff9b::7f00:1]/",
    "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",
    "http://192.0.0.8/",
    "http://198.18.0.1/",
]


@pytest.mark.parametrize("url", INTERNAL_URLS)
def test_an_internal_address_is_400_at_create_and_takes_no_quota_slot(api_client, assert_contract, settings, url):
    settings.AI_INGEST_ALLOW_LOOPBACK = False
    tenant = ai_tenant(quotas={"knowledge_documents": 1, "ai_chat_replies": 10})
    response = api_client.post(URLS, {"url": url}, format="json", **admin_headers(tenant))
    body = assert_contract(response, "ingestAdminKnowledgeUrl", status=400)
    assert body["code"] == "VALIDATION_FAILED"
    assert len(body["details"]) == 1
    assert body["details"][0].startswith("url: ")
    assert "private, loopback" in body["details"][0]
    assert not KnowledgeDocument.objects.exists()


def test_refused_urls_leave_the_quota_slot_for_a_good_one(api_client, assert_contract, settings):
    settings.AI_INGEST_ALLOW_LOOPBACK = False
    tenant = ai_tenant(quotas={"knowledge_documents": 1, "ai_chat_replies": 10})
    for url in INTERNAL_URLS[:4]:
        response = api_client.post(URLS, {"url": url}, format="json", **admin_headers(tenant))
        assert_contract(response, "ingestAdminKnowledgeUrl", status=400)
    response = api_client.post(URLS, {"url": "https://example.com/faq"}, format="json", **admin_headers(tenant))
    assert_contract(response, "ingestAdminKnowledgeUrl", status=201)
    assert KnowledgeDocument.objects.count() == 1


def test_loopback_is_accepted_at_create_only_where_the_setting_allows_it(api_client, assert_contract, settings):
    settings.AI_INGEST_ALLOW_LOOPBACK = True
    tenant = ai_tenant()
    response = api_client.post(URLS, {"url": "http://127.0.0.1:1/faq"}, format="json", **admin_headers(tenant))
    assert_contract(response, "ingestAdminKnowledgeUrl", status=201)
    private = api_client.post(URLS, {"url": "http://10.0.0.1/faq"}, format="json", **admin_headers(tenant))
    assert_contract(private, "ingestAdminKnowledgeUrl", status=400)
    assert KnowledgeDocument.objects.count() == 1


def test_a_host_that_does_not_resolve_is_accepted_and_checked_again_at_fetch():
    """Like webhooks: DNS that fails (or is slow) at create does not refuse; the fetch resolves again."""
    fetching.check_public_url("https://ringnity-knowledge-check.invalid/page")
    with pytest.raises(fetching.FetchError, match="could not be resolved"):
        fetching.fetch("https://ringnity-knowledge-check.invalid/page")


def test_create_time_resolution_is_bounded_by_its_timeout(settings):
    """A resolver slower than the timeout leaves the decision to the fetch instead of holding the request."""
    settings.AI_INGEST_ALLOW_LOOPBACK = False
    fetching.check_public_url("https://ringnity-knowledge-check.invalid/page", timeout=0)
    with pytest.raises(fetching.FetchError, match="private, loopback"):
        fetching.check_public_url("http://127.0.0.1/", timeout=5)
