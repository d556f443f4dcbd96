"""Console: endpoints without secrets, deliveries with attempts, redelivery by owners/admins only, filters."""

import pytest
from django.urls import reverse

from apps.tenants.models import PlatformRole
from apps.tenants.tests.factories import PlatformOperatorFactory
from apps.webhooks.delivery import deliveries_create
from apps.webhooks.models import WebhookAttempt, WebhookEndpoint, WebhookEvent
from apps.webhooks.tasks import webhook_deliver
from apps.webhooks.tests.factories import endpoint_make, webhook_tenant
from apps.webhooks.tests.receiver import Receiver

pytestmark = pytest.mark.django_db


def _console(client, role):
    client.force_login(PlatformOperatorFactory(platform_role=role))
    return client


@pytest.fixture
def delivered(loopback):
    """A tenant, an endpoint on a live receiver, and one delivery made with one attempt."""
    tenant = webhook_tenant()
    receiver = Receiver().__enter__()
    endpoint, secret = endpoint_make(tenant, url=receiver.url, name="CRM hook")
    event = WebhookEvent.objects.create(tenant=tenant, event_type="contact.created", payload={"id": "con_1"})
    (row,) = deliveries_create(tenant=tenant, event=event, endpoints=[endpoint])
    webhook_deliver.delay(row.pk)
    yield tenant, endpoint, secret, row, receiver
    receiver.__exit__(None, None, None)


def test_endpoint_pages_never_show_the_secret(client, delivered):
    _, endpoint, secret, _, _ = delivered
    console = _console(client, PlatformRole.SUPPORT)
    listing = console.get(reverse("admin:webhooks_webhookendpoint_changelist")).content.decode()
    page = console.get(reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.pk])).content.decode()
    assert "CRM hook" in listing
    assert endpoint.secret_preview in page
    stored = WebhookEndpoint.objects.get(pk=endpoint.pk)
    for html in (listing, page):
        assert secret not in html
        assert secret.removeprefix("whsec_") not in html
        assert stored.secret_encrypted not in html


def test_delivery_page_shows_its_attempts_and_filters_work(client, delivered):
    tenant, endpoint, _, row, _ = delivered
    console = _console(client, PlatformRole.SUPPORT)
    page = console.get(reverse("admin:webhooks_webhookdelivery_change", args=[row.pk])).content.decode()
    assert row.public_id in page
    assert "delivered" in page
    changelist = reverse("admin:webhooks_webhookdelivery_changelist")
    for query in (
        {"status__exact": "delivered"},
        {"tenant__id__exact": tenant.pk},
        {"endpoint__id__exact": endpoint.pk},
    ):
        response = console.get(changelist, query)
        assert response.status_code == 200
        assert row.public_id in response.content.decode()
    assert row.public_id not in console.get(changelist, {"status__exact": "failed"}).content.decode()


def test_owners_and_admins_redeliver_under_the_same_webhook_id(client, delivered, django_capture_on_commit_callbacks):
    _, _, _, row, receiver = delivered
    console = _console(client, PlatformRole.ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        response = console.post(
            reverse("admin:webhooks_webhookdelivery_changelist"), {"action": "redeliver", "_selected_action": [row.pk]}
        )
    assert response.status_code == 302
    first, second = receiver.wait_for(2)
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == row.public_id
    assert list(WebhookAttempt.objects.filter(delivery=row).order_by("number").values_list("number", flat=True)) == [
        1,
        2,
    ]


def test_support_can_neither_redeliver_nor_change_nor_delete(client, delivered):
    _, endpoint, _, row, receiver = delivered
    console = _console(client, PlatformRole.SUPPORT)
    changelist = reverse("admin:webhooks_webhookdelivery_changelist")
    assert "redeliver" not in console.get(changelist).content.decode()
    console.post(changelist, {"action": "redeliver", "_selected_action": [row.pk]})
    assert len(receiver.requests) == 1
    url = reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.pk])
    assert console.post(url, {"url": "https://evil.example.com"}).status_code == 403
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).url == endpoint.url


def test_nobody_adds_or_deletes_endpoints_in_the_console(client, delivered):
    _, endpoint, _, _, _ = delivered
    console = _console(client, PlatformRole.OWNER)
    assert console.get(reverse("admin:webhooks_webhookendpoint_add")).status_code == 403
    assert console.get(reverse("admin:webhooks_webhookendpoint_delete", args=[endpoint.pk])).status_code == 403
    page = console.get(reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.pk])).content.decode()
    assert 'name="url"' not in page  # read-only


def test_the_disable_action_keeps_the_endpoint_and_says_why(client, delivered):
    _, endpoint, _, _, _ = delivered
    console = _console(client, PlatformRole.ADMIN)
    console.post(
        reverse("admin:webhooks_webhookendpoint_changelist"),
        {"action": "disable_endpoints", "_selected_action": [endpoint.pk]},
    )
    endpoint.refresh_from_db()
    assert endpoint.is_active is False
    assert endpoint.disabled_reason.startswith("Disabled in the console")
