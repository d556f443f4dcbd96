"""Odd input on the platform API answers 400 (or 404), never 500, and writes nothing."""

import copy
import json

import pytest
from django.core.management import call_command

from apps.billing.models import AiLedgerEntry
from apps.plans import catalog
from apps.tenants.tests.factories import TenantFactory

pytestmark = pytest.mark.django_db
URL = "/api/platform/plan-contracts"


@pytest.fixture
def current(api_client, admin_headers):
    call_command("seed_plans", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return api_client.get(URL, **admin_headers).json()["data"]


def put_catalog(api_client, admin_headers, data):
    return api_client.put(URL, json.dumps(data), content_type="application/json", **admin_headers)


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("plans", 0, "sortOrder"), 2**31, "plans[0].sortOrder"),
        (("plans", 0, "sortOrder"), 10**30, "plans[0].sortOrder"),
        (("featureKeys", 0, "sortOrder"), -(2**31) - 1, "featureKeys[0].sortOrder"),
        (("quotaKeys", 0, "sortOrder"), 2**40, "quotaKeys[0].sortOrder"),
        (("plans", 1, "quotas", "agents", "limitValue"), 2**63, "plans[1].quotas.agents.limitValue"),
        (("plans", 1, "quotas", "agents", "limitValue"), 10**30, "plans[1].quotas.agents.limitValue"),
        (("plans", 0, "features", "chat", "config"), {"note": "a\x00b"}, "plans[0].features.chat.config"),
        (("plans", 0, "features", "chat", "config"), {"a\x00": 1}, "plans[0].features.chat.config"),
        (("plans", 0, "features", "chat", "config"), {"note": "\ud800"}, "plans[0].features.chat.config"),
        (("plans", 1, "quotas", "agents", "config"), "NESTED", "plans[1].quotas.agents.config"),
        (("plans", 1, "quotas", "agents", "config"), "DEEP", "plans[1].quotas.agents.config"),
        (("plans", 1, "quotas", "agents", "config"), {"x": "a" * 20_000}, "plans[1].quotas.agents.config"),
    ],
)
def test_catalog_values_the_database_cannot_store_are_400(
    api_client, assert_contract, admin_headers, current, path, value, field
):
    if value == "DEEP":  # 500 levels: parses (the parser's limit is 512), but too deep to store
        value = {"deep": json.loads("[" * 500 + "]" * 500)}
    if value == "NESTED":  # deeper than any plan setting needs
        value = {"x": json.loads("[" * 30 + "1" + "]" * 30)}
    data = copy.deepcopy(current)
    target = data
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    before = catalog.catalog_read()
    body = assert_contract(put_catalog(api_client, admin_headers, data), "updatePlatformPlanContracts", status=400)
    assert body["code"] == "VALIDATION_FAILED"
    assert any(d.startswith(field) for d in body["details"]), body["details"]
    assert catalog.catalog_read() == before


def test_catalog_bounds_that_fit_the_database_are_accepted(api_client, assert_contract, admin_headers, current):
    data = copy.deepcopy(current)
    data["plans"][0]["sortOrder"] = 2**31 - 1
    data["plans"][1]["quotas"]["agents"]["limitValue"] = 2**63 - 1
    data["plans"][0]["features"]["chat"]["config"] = {"maxParticipants": 4, "labels": ["a", {"b": None}]}
    body = assert_contract(put_catalog(api_client, admin_headers, data), "updatePlatformPlanContracts", status=200)
    plans = {plan["slug"]: plan for plan in body["data"]["plans"]}
    assert plans["starter"]["quotas"]["agents"]["limitValue"] == 2**63 - 1
    assert plans["free"]["sortOrder"] == 2**31 - 1


@pytest.mark.parametrize("client_id", ["%00", "cl_%00x", "x" * 300])
def test_odd_client_ids_are_404(api_client, assert_contract, admin_headers, client_id):
    url = f"/api/platform/ai-balance/{client_id}/top-up"
    response = api_client.post(url, {"amountCents": 5}, format="json", **admin_headers)
    assert assert_contract(response, "topUpPlatformAiBalance", status=404)["code"] == "NOT_FOUND"
    response = api_client.put(f"/api/platform/ai-balance/{client_id}/settings", {}, format="json", **admin_headers)
    assert assert_contract(response, "updatePlatformAiBalanceTenantSettings", status=404)["code"] == "NOT_FOUND"


@pytest.mark.parametrize("key", ["a\x00b", "tab\there", "new\x7fline"])
def test_idempotency_key_with_control_characters_is_400(api_client, assert_contract, admin_headers, key):
    tenant = TenantFactory()
    response = api_client.post(
        f"/api/platform/ai-balance/{tenant.public_id}/top-up",
        {"amountCents": 5},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
        **admin_headers,
    )
    body = assert_contract(response, "topUpPlatformAiBalance", status=400)
    assert body["details"] == ["Idempotency-Key: use printable ASCII characters only."]
    assert not AiLedgerEntry.objects.for_tenant(tenant).exists()


def test_amount_usd_has_the_same_ceiling_as_amount_cents(api_client, assert_contract, admin_headers):
    tenant = TenantFactory()
    url = f"/api/platform/ai-balance/{tenant.public_id}/top-up"
    # JSON numbers as the contract types them (a string is refused: strict types, issue 9).
    response = api_client.post(url, '{"amountUsd": 1000000000.01}', content_type="application/json", **admin_headers)
    body = assert_contract(response, "topUpPlatformAiBalance", status=400)
    assert any(d.startswith("amountUsd:") for d in body["details"]), body["details"]
    response = api_client.post(url, '{"amountUsd": 1000000000.00}', content_type="application/json", **admin_headers)
    assert assert_contract(response, "topUpPlatformAiBalance", status=200)["data"]["amountCents"] == 10**11
    assert not AiLedgerEntry.objects.for_tenant(tenant).exclude(amount_cents=10**11).exists()


@pytest.mark.parametrize("number", ["1e400", "-1e400"])
def test_catalog_config_number_too_large_for_json_is_400(api_client, assert_contract, admin_headers, current, number):
    """1e400 parses to an infinite float, which JSON (and PostgreSQL's jsonb) cannot hold."""
    raw = json.dumps(current).replace('"config": {}', f'"config": {{"x": {number}}}', 1)
    before = catalog.catalog_read()
    response = api_client.put(URL, raw, content_type="application/json", **admin_headers)
    body = assert_contract(response, "updatePlatformPlanContracts", status=400)
    assert any(".config: " in d for d in body["details"]), body["details"]
    assert catalog.catalog_read() == before
