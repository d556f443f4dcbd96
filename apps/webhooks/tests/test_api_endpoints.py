"""Server API webhook endpoints: create/list/update/disable, validation, quota, scopes, tenancy."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.plans.tests.factories import subscribe
from apps.webhooks import signing
from apps.webhooks.catalog import available_events
from apps.webhooks.delivery import signing_secrets
from apps.webhooks.models import WebhookEndpoint
from apps.webhooks.tests.factories import endpoint_make, webhook_headers, webhook_tenant

pytestmark = pytest.mark.django_db
URL = "/api/server/webhooks"
HOOK = "https://hooks.example.com/in"


@pytest.fixture
def tenant():
    return webhook_tenant()


@pytest.fixture
def headers(tenant):
    return webhook_headers(tenant)


def _create(client, headers, **body):
    return client.post(URL, {"url": HOOK, "events": ["contact.created"], **body}, format="json", **headers)


def test_create_returns_the_generated_secret_once_and_reads_show_only_a_preview(
    api_client, assert_contract, headers, tenant
):
    body = assert_contract(_create(api_client, headers, name="CRM"), "createWebhook", status=201)
    secret, webhook = body["data"]["secret"], body["data"]["webhook"]
    assert secret.startswith("whsec_")
    assert signing.secret_problems(secret) == []
    assert len(signing.secret_key_bytes(secret)) == 32
    assert webhook["secretPreview"] == signing.secret_preview(secret)
    assert webhook["isActive"] is True
    assert webhook["events"] == ["contact.created"]
    listed = assert_contract(api_client.get(URL, **headers), "listWebhooks", status=200)["data"]
    assert [w["id"] for w in listed["webhooks"]] == [webhook["id"]]
    assert secret not in str(listed)
    stored = WebhookEndpoint.objects.for_tenant(tenant).get()
    assert secret not in stored.secret_encrypted  # encrypted at rest
    assert signing.secret_decrypt(stored.secret_encrypted) == secret


def test_available_events_include_read_and_delete_events(api_client, assert_contract, headers):
    events = assert_contract(api_client.get(URL, **headers), "listWebhooks", status=200)["data"]["availableEvents"]
    assert events == available_events()
    for name in ("contact.created", "conversation.created", "message.read", "message.deleted", "call.ended"):
        assert name in events
    assert "webhook.test" in events


def test_a_given_secret_in_standard_form_is_kept(api_client, assert_contract, headers, tenant):
    secret = signing.secret_generate()
    body = assert_contract(_create(api_client, headers, secret=secret), "createWebhook", status=201)
    assert body["data"]["secret"] == secret
    assert signing_secrets(WebhookEndpoint.objects.for_tenant(tenant).get()) == [secret]


@pytest.mark.parametrize(
    "secret",
    ["not-a-secret", "whsec_short", "whsec_" + "A" * 44, "whsec_%%%", "whsec_" + "YWJj" * 4],
)
def test_a_weak_or_malformed_secret_is_refused(api_client, assert_contract, headers, secret):
    response = _create(api_client, headers, secret=secret)
    assert_contract(response, "createWebhook", status=400)
    assert response.json()["code"] == "SERVER_WEBHOOK_VALIDATION_FAILED"
    assert response.json()["details"][0].startswith("secret:")


def test_validation_lists_every_bad_field_and_writes_nothing(api_client, assert_contract, headers, tenant):
    body = {"name": "n" * 201, "url": "http://hooks.example.com/in", "events": ["contact.created", "nope"], "secret": 1}
    response = api_client.post(URL, body, format="json", **headers)
    assert_contract(response, "createWebhook", status=400)
    payload = response.json()
    assert payload["code"] == "SERVER_WEBHOOK_VALIDATION_FAILED"
    assert {d.split(":")[0].split("[")[0] for d in payload["details"]} == {"name", "url", "events", "secret"}
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://user:pw@hooks.example.com/in", "credentials"),
        ("https://hooks.example.com/" + "a" * 2048, "2048"),
        ("ftp://hooks.example.com/in", "https"),
        ("hooks.example.com/in", "https"),
    ],
)
def test_bad_urls_are_refused(api_client, assert_contract, headers, url, problem):
    response = _create(api_client, headers, url=url)
    assert_contract(response, "createWebhook", status=400)
    assert any(d.startswith("url:") and problem in d for d in response.json()["details"]), response.json()


def test_missing_and_empty_events_are_refused(api_client, assert_contract, headers):
    for body in ({"url": HOOK}, {"url": HOOK, "events": []}):
        response = api_client.post(URL, body, format="json", **headers)
        assert_contract(response, "createWebhook", status=400)
        assert response.json()["details"][0].startswith("events:")


def test_wildcard_subscribes_to_everything(api_client, assert_contract, headers):
    body = assert_contract(_create(api_client, headers, events=["*"]), "createWebhook", status=201)
    assert body["data"]["webhook"]["events"] == ["*"]


def test_quota_counts_active_endpoints_and_answers_409(api_client, assert_contract):
    tenant = webhook_tenant(quota=1)
    headers = webhook_headers(tenant)
    first = assert_contract(_create(api_client, headers), "createWebhook", status=201)["data"]["webhook"]
    response = _create(api_client, headers)
    assert_contract(response, "createWebhook", status=409)
    assert response.json()["code"] == "QUOTA_EXCEEDED"
    assert_contract(api_client.delete(f"{URL}/{first['id']}", **headers), "disableWebhook", status=200)
    second = assert_contract(_create(api_client, headers), "createWebhook", status=201)["data"]["webhook"]
    reenable = api_client.patch(f"{URL}/{first['id']}", {"isActive": True}, format="json", **headers)
    assert_contract(reenable, "updateWebhook", status=409)
    assert WebhookEndpoint.objects.for_tenant(tenant).filter(is_active=True).get().public_id == second["id"]


def test_a_plan_without_webhooks_is_403(api_client, assert_contract):
    tenant = webhook_tenant(features={"server_api": True})
    response = api_client.get(URL, **webhook_headers(tenant))
    assert_contract(response, "listWebhooks", status=403)
    assert response.json()["code"] == "FEATURE_NOT_AVAILABLE"


def test_scopes_are_required(api_client, assert_contract, tenant):
    read_only = webhook_headers(tenant, scopes=["server:webhook:read"])
    assert_contract(api_client.get(URL, **read_only), "listWebhooks", status=200)
    response = _create(api_client, read_only)
    assert_contract(response, "createWebhook", status=403)
    assert response.json()["code"] == "SERVER_API_SCOPE_DENIED"
    none = webhook_headers(tenant, scopes=["server:health"])
    assert_contract(api_client.get(URL, **none), "listWebhooks", status=403)


def test_list_reads_a_constant_number_of_queries(api_client, assert_contract, headers, tenant):
    endpoint_make(tenant)
    api_client.get(URL, **headers)  # warm the entitlement cache
    with CaptureQueriesContext(connection) as one:
        assert_contract(api_client.get(URL, **headers), "listWebhooks", status=200)
    for _ in range(5):
        endpoint_make(tenant)
    with CaptureQueriesContext(connection) as six:
        body = assert_contract(api_client.get(URL, **headers), "listWebhooks", status=200)
    assert len(body["data"]["webhooks"]) == 6
    assert len(six.captured_queries) == len(one.captured_queries)


# --- update / disable ---------------------------------------------------------------------------


def test_update_revalidates_and_changes_only_what_is_given(api_client, assert_contract, headers, tenant):
    endpoint, _ = endpoint_make(tenant, name="old")
    response = api_client.patch(
        f"{URL}/{endpoint.public_id}", {"name": "new", "events": ["message.read"]}, format="json", **headers
    )
    data = assert_contract(response, "updateWebhook", status=200)["data"]
    assert "secret" not in data
    assert (data["webhook"]["name"], data["webhook"]["events"], data["webhook"]["url"]) == (
        "new",
        ["message.read"],
        endpoint.url,
    )
    bad = api_client.patch(
        f"{URL}/{endpoint.public_id}", {"url": "http://x.example.com", "events": [], "isActive": "yes"}, **headers
    )
    assert_contract(bad, "updateWebhook", status=400)
    assert {d.split(":")[0] for d in bad.json()["details"]} == {"url", "events", "isActive"}
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).name == "new"


def test_a_secret_change_returns_it_once_and_both_secrets_sign_for_24_hours(
    api_client, assert_contract, headers, tenant
):
    from datetime import timedelta

    from django.utils import timezone

    endpoint, old = endpoint_make(tenant)
    new = signing.secret_generate()
    response = api_client.patch(f"{URL}/{endpoint.public_id}", {"secret": new}, format="json", **headers)
    data = assert_contract(response, "updateWebhook", status=200)["data"]
    assert data["secret"] == new
    assert data["webhook"]["secretPreview"] == signing.secret_preview(new)
    endpoint.refresh_from_db()
    assert signing_secrets(endpoint) == [new, old]
    assert signing_secrets(endpoint, now=timezone.now() + timedelta(hours=24, seconds=1)) == [new]


def test_delete_disables_and_keeps_the_endpoint(api_client, assert_contract, headers, tenant):
    endpoint, _ = endpoint_make(tenant)
    data = assert_contract(api_client.delete(f"{URL}/{endpoint.public_id}", **headers), "disableWebhook", status=200)
    assert data["data"]["webhook"]["isActive"] is False
    endpoint.refresh_from_db()
    assert endpoint.is_active is False
    assert endpoint.disabled_reason == "Disabled through the API."
    listed = assert_contract(api_client.get(URL, **headers), "listWebhooks", status=200)["data"]["webhooks"]
    assert listed[0]["isActive"] is False


def test_another_tenants_endpoint_is_404(api_client, assert_contract, headers):
    other, _ = endpoint_make(webhook_tenant())
    path = f"{URL}/{other.public_id}"
    for response, operation in (
        (api_client.patch(path, {"name": "x"}, format="json", **headers), "updateWebhook"),
        (api_client.delete(path, **headers), "disableWebhook"),
        (api_client.get(f"{URL}/deliveries", {"webhookId": other.public_id}, **headers), "listWebhookDeliveries"),
        (api_client.post(f"{URL}/test", {"webhookId": other.public_id}, format="json", **headers), "testWebhook"),
    ):
        assert_contract(response, operation, status=404)
        assert response.json()["code"] == "SERVER_WEBHOOK_NOT_FOUND"
    other.refresh_from_db()
    assert other.is_active is True
    assert other.name == ""


def test_unknown_id_is_404(api_client, assert_contract, headers):
    response = api_client.delete(f"{URL}/whk_nope", **headers)
    assert_contract(response, "disableWebhook", status=404)
    assert response.json()["code"] == "SERVER_WEBHOOK_NOT_FOUND"


def test_downgrade_to_a_plan_without_the_feature_blocks_the_routes(api_client, assert_contract, headers, tenant):
    subscribe(tenant, features={"server_api": True, "webhooks": False}, quotas={"webhooks": 5})
    assert_contract(api_client.get(URL, **headers), "listWebhooks", status=403)
