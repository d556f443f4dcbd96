"""The console's call pages: operators read, nobody edits a call, only owners/admins revoke links."""

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.calls import link_services
from apps.calls.models import CallLink, CallSession
from apps.calls.tests.factories import call_for, call_tenant, conversation_for, visitor_actor
from apps.tenants.models import PlatformRole
from apps.tenants.tests.factories import OwnerFactory, PlatformOperatorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def call():
    return call_for(conversation_for(call_tenant()), end_reason="x")


@pytest.fixture
def link():
    conversation = conversation_for(call_tenant())
    actor = visitor_actor(conversation.visitor)
    return link_services.call_link_create(
        tenant=conversation.tenant, actor=actor, conversation_id=conversation.public_id, service="voice_call"
    )[0]


def _console(client, role):
    client.force_login(PlatformOperatorFactory(platform_role=role))
    return client


@pytest.mark.parametrize("role", [PlatformRole.SUPPORT, PlatformRole.ADMIN])
def test_operators_list_and_open_calls_and_links_but_cannot_edit_them(client, call, link, role):
    console = _console(client, role)
    for model, obj in ((CallSession, call), (CallLink, link)):
        info = (model._meta.app_label, model._meta.model_name)
        listing = console.get(reverse("admin:{}_{}_changelist".format(*info)))
        assert listing.status_code == 200
        assert obj.public_id in listing.content.decode()
        page = console.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
        assert page.status_code == 200
        assert b'name="_save"' not in page.content
        assert console.get(reverse("admin:{}_{}_add".format(*info))).status_code == 403
        assert (
            console.post(reverse("admin:{}_{}_delete".format(*info), args=[obj.pk]), {"post": "yes"}).status_code == 403
        )
    assert CallSession.objects.filter(pk=call.pk).exists()


def test_the_call_list_reads_a_constant_number_of_queries(client, django_assert_max_num_queries):
    console = _console(client, PlatformRole.SUPPORT)
    tenant = call_tenant()
    call_for(conversation_for(tenant))
    with django_assert_max_num_queries(12) as few:
        assert console.get(reverse("admin:calls_callsession_changelist")).status_code == 200
    for _ in range(10):
        call_for(conversation_for(tenant))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert console.get(reverse("admin:calls_callsession_changelist")).status_code == 200


def _revoke(console, link):
    url = reverse("admin:calls_calllink_changelist")
    return console.post(url, {"action": "revoke_links", "_selected_action": [link.pk]})


def test_admins_revoke_links_and_support_cannot(client, link):
    support = _console(client, PlatformRole.SUPPORT)
    _revoke(support, link)
    assert CallLink.objects.get(pk=link.pk).revoked_at is None
    admin_console = _console(client, PlatformRole.ADMIN)
    assert _revoke(admin_console, link).status_code == 302
    assert CallLink.objects.get(pk=link.pk).revoked_at <= timezone.now()


def test_tenant_staff_cannot_open_the_call_pages(client, call):
    client.force_login(OwnerFactory(tenant=call.tenant))
    response = client.get(reverse("admin:calls_callsession_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
