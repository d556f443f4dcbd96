"""getPlatformPlanContracts / updatePlatformPlanContracts."""

import copy

import pytest
from django.core.management import call_command
from django.db import transaction

from apps.plans import catalog, entitlements
from apps.plans.models import Plan, PlanQuota
from apps.plans.services import subscription_set
from apps.plans.tests.factories import subscribe
from apps.tenants.tests.factories import TenantFactory
from ringnity.api.errors import ApiError

pytestmark = pytest.mark.django_db
URL = "/api/platform/plan-contracts"


@pytest.fixture
def seeded(db):
    call_command("seed_plans", stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_get_returns_the_whole_catalog(
    api_client, assert_contract, admin_headers, seeded, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8):
        body = assert_contract(api_client.get(URL, **admin_headers), "getPlatformPlanContracts", status=200)
    data = body["data"]
    assert [p["slug"] for p in data["plans"]] == ["free", "starter", "professional", "enterprise"]
    starter = data["plans"][1]
    assert starter["quotas"]["agents"] == {
        "planId": starter["planId"],
        "quotaKey": "agents",
        "valueType": "number",
        "limitValue": 3,
        "resetPeriod": None,
        "config": {},
    }
    assert starter["quotas"]["ai_chat_replies"]["resetPeriod"] == "monthly"


def test_support_can_read_but_not_write(api_client, assert_contract, support_headers, seeded):
    current = api_client.get(URL, **support_headers).json()["data"]
    assert_contract(api_client.get(URL, **support_headers), "getPlatformPlanContracts", status=200)
    body = assert_contract(
        api_client.put(URL, current, format="json", **support_headers), "updatePlatformPlanContracts", 403
    )
    assert body["code"] == "PERMISSION_DENIED"


def test_put_round_trip_changes_a_limit_visible_on_the_next_request(api_client, assert_contract, admin_headers, seeded):
    tenant = TenantFactory()
    subscription_set(tenant=tenant, plan_slug="starter")
    assert entitlements.for_tenant(tenant).quota("agents").limit == 3
    data = api_client.get(URL, **admin_headers).json()["data"]
    data["plans"][1]["quotas"]["agents"]["limitValue"] = 9
    body = assert_contract(
        api_client.put(URL, data, format="json", **admin_headers), "updatePlatformPlanContracts", 200
    )
    assert body["data"]["plans"][1]["quotas"]["agents"]["limitValue"] == 9
    assert entitlements.for_tenant(tenant).quota("agents").limit == 9


def test_put_can_add_a_plan_and_deactivate_one(api_client, assert_contract, admin_headers, seeded):
    data = api_client.get(URL, **admin_headers).json()["data"]
    new_plan = copy.deepcopy(data["plans"][1])
    new_plan.update(slug="starter-plus", name="Starter Plus", sortOrder=15)
    data["plans"].append(new_plan)
    data["plans"][0]["isActive"] = False
    assert_contract(api_client.put(URL, data, format="json", **admin_headers), "updatePlatformPlanContracts", 200)
    assert Plan.objects.get(slug="starter-plus").quotas.count() == len(new_plan["quotas"])
    assert Plan.objects.get(slug="free").is_active is False


def test_put_reports_every_problem_and_writes_nothing(api_client, assert_contract, admin_headers, seeded):
    before = catalog.catalog_read()
    data = copy.deepcopy(before)
    data["featureKeys"].append(dict(data["featureKeys"][0]))  # duplicate feature key
    data["plans"].append(copy.deepcopy(data["plans"][0]))  # duplicate slug
    starter = data["plans"][1]
    starter["features"]["teleport"] = {"enabled": True}
    starter["quotas"]["warp_drives"] = {"valueType": "number", "limitValue": 1}
    starter["quotas"]["agents"] = {"valueType": "unlimited", "limitValue": 5}
    starter["quotas"]["contacts"] = {"valueType": "number", "limitValue": None}
    starter["quotas"]["webhooks"] = {"valueType": "number", "limitValue": -1}
    starter["name"] = "Changed"
    response = api_client.put(URL, data, format="json", **admin_headers)
    body = assert_contract(response, "updatePlatformPlanContracts", status=400)
    assert body["code"] == "VALIDATION_FAILED"
    assert set(body["details"]) >= {
        "featureKeys: duplicate featureKey 'chat'.",
        "plans: duplicate slug 'free'.",
        "plans[1].features.teleport: unknown feature key.",
        "plans[1].quotas.warp_drives: unknown quota key.",
        "plans[1].quotas.agents.limitValue: must be null when valueType is 'unlimited'.",
        "plans[1].quotas.contacts.limitValue: required when valueType is 'number'.",
        "plans[1].quotas.webhooks.limitValue: must not be negative.",
    }
    assert catalog.catalog_read() == before


def test_put_shape_errors_are_listed_per_field(api_client, assert_contract, admin_headers):
    bad = {"featureKeys": [{"featureKey": "Bad Key"}], "quotaKeys": "x", "plans": [{"slug": "p"}]}
    body = assert_contract(api_client.put(URL, bad, format="json", **admin_headers), "updatePlatformPlanContracts", 400)
    fields = {d.split(":")[0] for d in body["details"]}
    assert {"featureKeys[0].featureKey", "featureKeys[0].name", "quotaKeys", "plans[0].name"} <= fields


def test_a_subscribed_plan_cannot_be_dropped_by_omission(api_client, assert_contract, admin_headers, seeded):
    for _ in range(2):
        subscription_set(tenant=TenantFactory(), plan_slug="professional")
    data = api_client.get(URL, **admin_headers).json()["data"]
    data["plans"] = [p for p in data["plans"] if p["slug"] != "professional"]
    body = assert_contract(
        api_client.put(URL, data, format="json", **admin_headers), "updatePlatformPlanContracts", 400
    )
    assert any("'professional' has 2 subscribed tenant(s)" in d for d in body["details"])
    assert Plan.objects.filter(slug="professional").exists()


def test_an_unsubscribed_plan_is_removed_by_omission(api_client, assert_contract, admin_headers, seeded):
    data = api_client.get(URL, **admin_headers).json()["data"]
    data["plans"] = [p for p in data["plans"] if p["slug"] != "enterprise"]
    assert_contract(api_client.put(URL, data, format="json", **admin_headers), "updatePlatformPlanContracts", 200)
    assert not Plan.objects.filter(slug="enterprise").exists()
    assert not PlanQuota.objects.filter(plan__slug="enterprise").exists()


def test_a_plan_change_is_enforced_on_the_very_next_request(api_client, assert_contract, admin_headers, seeded):
    """Across apps: the Server API's feature gate sees the PUT at once (no stale cached entitlements)."""
    from apps.developer.tests.factories import ServerApiKeyFactory, server_key_headers

    tenant = TenantFactory()
    subscription_set(tenant=tenant, plan_slug="starter")
    key_headers = server_key_headers(ServerApiKeyFactory(tenant=tenant, scopes=["server:tenant:read"]))
    assert api_client.get("/api/server/tenant", **key_headers).status_code == 200
    data = api_client.get(URL, **admin_headers).json()["data"]
    data["plans"][1]["features"]["server_api"]["enabled"] = False
    assert_contract(api_client.put(URL, data, format="json", **admin_headers), "updatePlatformPlanContracts", 200)
    body = assert_contract(api_client.get("/api/server/tenant", **key_headers), "getServerTenant", status=403)
    assert body["code"] == "FEATURE_NOT_AVAILABLE"
    data["plans"][1]["features"]["server_api"]["enabled"] = True
    api_client.put(URL, data, format="json", **admin_headers)
    assert api_client.get("/api/server/tenant", **key_headers).status_code == 200


def test_put_reports_shape_errors_and_catalog_problems_together(api_client, assert_contract, admin_headers, seeded):
    before = catalog.catalog_read()
    data = copy.deepcopy(before)
    data["plans"][0]["sortOrder"] = "first"  # a shape error ...
    data["plans"][1]["features"]["teleport"] = {"enabled": True}  # ... and catalog problems
    data["plans"][1]["quotas"]["agents"] = {"valueType": "unlimited", "limitValue": 5}
    data["plans"][2]["quotas"]["contacts"] = {"valueType": "sometimes"}
    data["plans"].append(copy.deepcopy(data["plans"][3]))
    body = assert_contract(
        api_client.put(URL, data, format="json", **admin_headers), "updatePlatformPlanContracts", status=400
    )
    assert set(body["details"]) >= {
        "plans[0].sortOrder: Must be an integer, not a string.",
        'plans[2].quotas.contacts.valueType: "sometimes" is not a valid choice.',
        "plans[1].features.teleport: unknown feature key.",
        "plans[1].quotas.agents.limitValue: must be null when valueType is 'unlimited'.",
        "plans: duplicate slug 'enterprise'.",
    }, body["details"]
    assert len(body["details"]) == len(set(body["details"])) == 5
    assert catalog.catalog_read() == before


@pytest.mark.parametrize(
    "raw",
    [
        {"featureKeys": "x", "quotaKeys": None, "plans": [{"slug": 5, "features": [], "quotas": {"a": None}}]},
        {"featureKeys": [None, {"featureKey": 3}], "quotaKeys": [[]], "plans": {"a": 1}},
        {
            "plans": [
                None,
                "p",
                {"features": {"chat": "on"}, "quotas": {"agents": {"valueType": "number", "limitValue": "7"}}},
            ]
        },
        {
            "plans": [
                {"slug": "p", "quotas": {"agents": {"valueType": {}, "limitValue": 1}, "contacts": {"valueType": []}}}
            ]
        },
        {"featureKeys": [], "quotaKeys": [], "plans": [{"slug": "p\x00", "name": 1}]},
    ],
)
def test_put_with_any_broken_shape_is_400(api_client, assert_contract, admin_headers, seeded, raw):
    before = catalog.catalog_read()
    body = assert_contract(api_client.put(URL, raw, format="json", **admin_headers), "updatePlatformPlanContracts", 400)
    assert body["code"] == "VALIDATION_FAILED"
    assert catalog.catalog_read() == before


def test_a_plan_subscribed_to_between_validation_and_write_is_a_400_and_nothing_changes():
    """The write step's own guard, for the race validation cannot see (a subscription landing in between)."""
    subscribe(TenantFactory(), plan_slug="doomed", features={"chat": True})
    current = catalog.catalog_read()
    without = {**current, "plans": [p for p in current["plans"] if p["slug"] != "doomed"]}
    with pytest.raises(ApiError) as excinfo, transaction.atomic():
        catalog.catalog_write(without)
    assert excinfo.value.details == ["plans: a dropped plan now has 1 subscribed tenant(s) and cannot be removed."]
    assert Plan.objects.filter(slug="doomed").exists()
