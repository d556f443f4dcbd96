"""Console pages: operators set the routing mode and reindex knowledge; support only reads."""

import pytest
from django.test import Client

from apps.ai.models import AiSettings, KnowledgeDocument
from apps.ai.tests.factories import ai_tenant, indexed_document
from apps.tenants.models import PlatformRole
from apps.tenants.tests.factories import PlatformOperatorFactory

pytestmark = pytest.mark.django_db


def console(role) -> Client:
    client = Client()
    client.force_login(PlatformOperatorFactory(platform_role=role))
    return client


def test_an_admin_operator_sets_a_tenants_routing_mode():
    tenant = ai_tenant()
    client = console(PlatformRole.ADMIN)
    response = client.post("/admin/ai/aisettings/add/", {"tenant": tenant.pk, "routing_mode": "ai_assisted"})
    assert response.status_code == 302
    assert AiSettings.objects.get(tenant=tenant).routing_mode == "ai_assisted"
    row = AiSettings.objects.get(tenant=tenant)
    response = client.post(f"/admin/ai/aisettings/{row.pk}/change/", {"routing_mode": "ai_first"})
    assert response.status_code == 302
    assert AiSettings.objects.get(tenant=tenant).routing_mode == "ai_first"


def test_support_reads_the_pages_but_changes_nothing():
    tenant = ai_tenant()
    document = indexed_document(tenant, "faq.txt", "Parcels travel by courier.")
    client = console(PlatformRole.SUPPORT)
    assert client.get("/admin/ai/knowledgedocument/").status_code == 200
    assert client.get(f"/admin/ai/knowledgedocument/{document.pk}/change/").status_code == 200
    assert client.get("/admin/ai/aiconversation/").status_code == 200
    response = client.post("/admin/ai/aisettings/add/", {"tenant": tenant.pk, "routing_mode": "ai_first"})
    assert response.status_code == 403
    response = client.post(
        "/admin/ai/knowledgedocument/", {"action": "delete_selected_items", "_selected_action": [document.pk]}
    )
    assert KnowledgeDocument.objects.filter(pk=document.pk).exists()
    assert not AiSettings.objects.exists()


def test_the_reindex_action_queues_the_item(django_capture_on_commit_callbacks):
    tenant = ai_tenant()
    document = indexed_document(tenant, "faq.txt", "Parcels travel by courier.")
    client = console(PlatformRole.ADMIN)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            "/admin/ai/knowledgedocument/", {"action": "reindex_selected", "_selected_action": [document.pk]}
        )
    assert response.status_code == 302
    assert len(callbacks) == 1
    document.refresh_from_db()
    assert document.status == "ready"
