"""Console pages: operators read conversations (with transcript) and visitors; support cannot write."""

import pytest
from django.urls import reverse

from apps.chat.models import Conversation
from apps.chat.tests.chat_fixtures import chat_tenant, send_message, start_conversation, visitor_headers
from apps.tenants.models import PlatformRole
from apps.tenants.tests.factories import PlatformOperatorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(api_client):
    tenant = chat_tenant()
    headers = visitor_headers(tenant)
    data = start_conversation(api_client, headers, subject="Refund")
    send_message(api_client, headers, data["conversationId"], "Where is my order?")
    return Conversation.objects.get(public_id=data["conversationId"])


def test_operator_reads_conversation_list_transcript_and_visitors(client, conversation):
    client.force_login(PlatformOperatorFactory(platform_role=PlatformRole.SUPPORT))
    listing = client.get(reverse("admin:chat_conversation_changelist") + "?status__exact=open")
    assert listing.status_code == 200
    assert "Refund" in listing.content.decode() or conversation.public_id in listing.content.decode()
    page = client.get(reverse("admin:chat_conversation_change", args=[conversation.pk]))
    assert page.status_code == 200
    assert "Where is my order?" in page.content.decode()
    assert client.get(reverse("admin:chat_visitor_changelist")).status_code == 200


def test_support_cannot_change_admin_can(client, conversation):
    url = reverse("admin:chat_conversation_change", args=[conversation.pk])
    client.force_login(PlatformOperatorFactory(platform_role=PlatformRole.SUPPORT))
    client.post(url, {"status": "closed", "priority": "high", "subject": "x"})
    conversation.refresh_from_db()
    assert conversation.status == "open"
    client.force_login(PlatformOperatorFactory(platform_role=PlatformRole.ADMIN))
    page = client.get(url)
    assert 'name="status"' in page.content.decode()
    assert client.get(reverse("admin:chat_conversation_add")).status_code == 403


def test_admin_closing_goes_through_the_service(client, conversation):
    url = reverse("admin:chat_conversation_change", args=[conversation.pk])
    client.force_login(PlatformOperatorFactory(platform_role=PlatformRole.ADMIN))
    form = {"status": "closed", "priority": "high", "subject": "Refund"}
    for prefix in ("assignments", "messages"):
        form.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    response = client.post(url, form)
    assert response.status_code == 302, response.context and response.context["errors"]
    conversation.refresh_from_db()
    assert conversation.status == "closed"
    assert conversation.priority == "high"
    assert conversation.closed_at is not None
