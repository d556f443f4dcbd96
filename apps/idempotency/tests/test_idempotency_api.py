"""Idempotency-Key on the Server API and Admin SDK writes (issue 22): replay, 409 on another body, scopes,
bad keys, error answers, expiry and the purge task, and the generated schema."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.developer.tests.factories import ServerApiKeyFactory, server_key_headers
from apps.idempotency.models import IdempotencyRecord
from apps.idempotency.tasks import idempotency_purge
from apps.webhooks.models import WebhookEndpoint
from apps.webhooks.tests.factories import WEBHOOK_SCOPES, webhook_headers, webhook_tenant
from ringnity.testing.contract import generated_document

pytestmark = pytest.mark.django_db
WEBHOOKS = "/api/server/webhooks"
CONTACTS = "/api/server/contacts"
BODY = {"url": "https://hooks.example.com/in", "events": ["contact.created"], "name": "CRM"}


@pytest.fixture
def tenant():
    return webhook_tenant()


@pytest.fixture
def headers(tenant):
    return webhook_headers(tenant)


def _post(client, headers, key, body=BODY, path=WEBHOOKS, **extra):
    meta = {**headers, **extra}
    if key is not None:
        meta["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(path, body, format="json", **meta)


def test_a_repeat_with_the_same_key_and_body_replays_the_first_answer(api_client, assert_contract, headers, tenant):
    first = _post(api_client, headers, "order-1")
    created = assert_contract(first, "createWebhook", status=201)
    again = _post(api_client, headers, "order-1")
    assert assert_contract(again, "createWebhook", status=201) == created  # the same secret and id, shown again
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert WebhookEndpoint.objects.for_tenant(tenant).count() == 1
    stored = IdempotencyRecord.objects.for_tenant(tenant).get()
    assert created["data"]["secret"] not in stored.answer_sealed  # the answer is kept encrypted
    assert round((stored.expires_at - stored.created_at).total_seconds() / 3600) == 24


def test_key_order_and_whitespace_do_not_make_another_body(api_client, assert_contract, headers, tenant):
    assert_contract(_post(api_client, headers, "k"), "createWebhook", status=201)
    reordered = json.dumps(dict(reversed(list(BODY.items()))), indent=4)
    again = api_client.post(WEBHOOKS, reordered, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k", **headers)
    assert_contract(again, "createWebhook", status=201)
    assert again["Idempotent-Replayed"] == "true"
    assert WebhookEndpoint.objects.for_tenant(tenant).count() == 1


def test_the_same_key_with_another_body_is_409_and_changes_nothing(api_client, assert_contract, headers, tenant):
    assert_contract(_post(api_client, headers, "k"), "createWebhook", status=201)
    other = _post(api_client, headers, "k", {**BODY, "name": "Other"})
    assert assert_contract(other, "createWebhook", status=409)["code"] == "IDEMPOTENCY_KEY_REUSED"
    query = api_client.post(f"{WEBHOOKS}?x=1", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k", **headers)
    assert assert_contract(query, "createWebhook", status=409)["code"] == "IDEMPOTENCY_KEY_REUSED"  # query differs
    assert list(WebhookEndpoint.objects.for_tenant(tenant).values_list("name", flat=True)) == ["CRM"]


def test_a_key_is_scoped_by_tenant_credential_and_route(api_client, assert_contract, headers, tenant):
    assert_contract(_post(api_client, headers, "shared"), "createWebhook", status=201)
    other_tenant = webhook_tenant()
    elsewhere = _post(api_client, webhook_headers(other_tenant), "shared")
    assert_contract(elsewhere, "createWebhook", status=201)
    assert "Idempotent-Replayed" not in elsewhere
    second_key = _post(
        api_client, server_key_headers(ServerApiKeyFactory(tenant=tenant, scopes=WEBHOOK_SCOPES)), "shared"
    )
    assert_contract(second_key, "createWebhook", status=201)
    assert "Idempotent-Replayed" not in second_key
    other_route = _post(api_client, headers, "shared", {"name": "Ada", "phone": "+14155550100"}, path=CONTACTS)
    assert_contract(other_route, "upsertContact", status=200)
    assert "Idempotent-Replayed" not in other_route
    assert WebhookEndpoint.objects.for_tenant(tenant).count() == 2
    assert WebhookEndpoint.objects.for_tenant(other_tenant).count() == 1


@pytest.mark.parametrize(
    ("key", "detail"),
    [
        ("", "Idempotency-Key: must not be empty."),
        ("   ", "Idempotency-Key: must not be empty."),
        ("k" * 256, "Idempotency-Key: at most 255 characters."),
        ("a\x00b", "Idempotency-Key: use printable ASCII characters only."),
        ("clé", "Idempotency-Key: use printable ASCII characters only."),
        ("tab\there", "Idempotency-Key: use printable ASCII characters only."),
    ],
)
def test_bad_keys_are_a_400_and_nothing_runs(api_client, assert_contract, headers, tenant, key, detail):
    response = _post(api_client, headers, key)
    body = assert_contract(response, "createWebhook", status=400)
    assert (body["code"], body["details"]) == ("VALIDATION_FAILED", [detail])
    assert not WebhookEndpoint.objects.for_tenant(tenant).exists()
    assert not IdempotencyRecord.objects.exists()


def test_the_longest_key_is_accepted(api_client, assert_contract, headers):
    assert_contract(_post(api_client, headers, "k" * 255), "createWebhook", status=201)
    assert_contract(_post(api_client, headers, "k" * 255), "createWebhook", status=201)
    assert IdempotencyRecord.objects.count() == 1


def test_an_error_answer_is_not_kept_so_a_corrected_retry_with_the_key_runs(
    api_client, assert_contract, headers, tenant
):
    bad = _post(api_client, headers, "k", {**BODY, "url": "not a url"})
    assert assert_contract(bad, "createWebhook", status=400)["code"] == "SERVER_WEBHOOK_VALIDATION_FAILED"
    assert not IdempotencyRecord.objects.exists()
    assert_contract(_post(api_client, headers, "k"), "createWebhook", status=201)
    assert WebhookEndpoint.objects.for_tenant(tenant).count() == 1


def test_a_refused_credential_uses_no_key(api_client, assert_contract, tenant):
    weak = server_key_headers(ServerApiKeyFactory(tenant=tenant, scopes=["server:health"]))
    assert assert_contract(_post(api_client, weak, "k"), "createWebhook", status=403)
    assert not IdempotencyRecord.objects.exists()


def test_after_24_hours_a_key_runs_again_and_the_purge_task_deletes_expired_records(
    api_client, assert_contract, headers, tenant
):
    assert_contract(_post(api_client, headers, "old"), "createWebhook", status=201)
    assert_contract(_post(api_client, headers, "fresh", {**BODY, "name": "Fresh"}), "createWebhook", status=201)
    IdempotencyRecord.objects.filter(key="old").update(expires_at=timezone.now() - timedelta(seconds=1))
    again = _post(api_client, headers, "old", {**BODY, "name": "Renamed"})  # expired: no 409, it runs
    assert_contract(again, "createWebhook", status=201)
    assert "Idempotent-Replayed" not in again
    IdempotencyRecord.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    IdempotencyRecord.objects.filter(key="fresh").update(expires_at=timezone.now() + timedelta(hours=1))
    assert idempotency_purge() == 1
    assert idempotency_purge() == 0  # idempotent
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["fresh"]


def test_the_generated_schema_documents_the_header_and_its_answers():
    operations = generated_document().operations
    for operation_id in (
        "createWebhook",
        "testWebhook",
        "upsertContact",
        "uploadAdminKnowledgeDocument",
        "ingestAdminKnowledgeUrl",
        "reindexAdminKnowledge",
    ):
        _method, _path, operation = operations[operation_id]
        names = [parameter.get("name") for parameter in operation.get("parameters", [])]
        assert "Idempotency-Key" in names, operation_id
        success = next(answer for status, answer in operation["responses"].items() if status.startswith("2"))
        assert "Idempotent-Replayed" in success["headers"], operation_id
        assert "IDEMPOTENCY_KEY_REUSED" in json.dumps(operation["responses"]["409"]), operation_id
        assert {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} <= set(success["headers"])
        assert "Retry-After" in operation["responses"]["429"]["headers"]
    _method, _path, listing = operations["listWebhooks"]
    assert "Idempotency-Key" not in [parameter.get("name") for parameter in listing.get("parameters", [])]
