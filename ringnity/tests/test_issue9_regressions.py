"""Regression tests for the abuse probe and the fuzzer's findings (issue 9, findings 2 and 5).

Each test sends the minimal input that was accepted before: a JSON value of another type than the
contract's, a missing required body, a parameter above its maximum. Each must be a 400 that names
the bad part, and nothing is written.
"""

import pytest

from apps.chat.models import Contact
from apps.developer.tests.factories import ServerApiKeyFactory
from apps.identity.sessions import SessionScope, session_issue
from apps.runtime.models import DevicePushToken
from apps.runtime.tests.fixtures import ready_tenant, runtime_headers, server_headers
from apps.tenants.models import PlatformRole
from apps.tenants.tests.factories import OwnerFactory, PlatformOperatorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenant():
    return ready_tenant()


def _owner(tenant) -> dict:
    owner = OwnerFactory(tenant=tenant)
    return {"HTTP_AUTHORIZATION": f"Bearer {session_issue(user=owner, scope=SessionScope.OWNER).access}"}


def _platform() -> dict:
    operator = PlatformOperatorFactory(platform_role=PlatformRole.ADMIN)
    return {"HTTP_AUTHORIZATION": f"Bearer {session_issue(user=operator, scope=SessionScope.PLATFORM).access}"}


def _post_raw(client, url, raw: str, headers: dict, method="post"):
    return getattr(client, method)(url, raw, content_type="application/json", **headers)


# --- finding 2: JSON numbers are not strings -------------------------------------------------


def test_a_contact_named_1e400_is_refused_not_stored_as_inf(api_client, assert_contract, tenant):
    raw = '{"name": 1e400, "phone": "+1 415 555 0100", "company": -1, "notes": 1.5}'
    response = _post_raw(api_client, "/api/server/contacts", raw, server_headers(tenant))
    body = assert_contract(response, "upsertContact", status=400)
    assert body["code"] == "SERVER_CONTACT_VALIDATION_FAILED"
    assert sorted(body["details"]) == [
        "company: Must be a string, not a number.",
        "name: Must be a string, not a number.",
        "notes: Must be a string, not a number.",
    ]
    assert not Contact.objects.for_tenant(tenant).exists()


def test_a_visitor_external_id_of_1e400_never_becomes_a_token_subject(api_client, assert_contract, tenant):
    raw = '{"visitor": {"externalId": 1e400}}'
    response = _post_raw(api_client, "/api/server/visitor-context-token", raw, server_headers(tenant))
    body = assert_contract(response, "createVisitorContextToken", status=400)
    assert body["details"] == ["visitor.externalId: Must be a string, not a number."]


def test_a_runtime_session_with_a_numeric_visitor_id_is_refused(api_client, assert_contract, tenant):
    raw = f'{{"slug": "{tenant.slug}", "visitor": {{"externalId": 7, "name": true}}}}'
    response = _post_raw(api_client, "/api/sdk/session", raw, {})
    body = assert_contract(response, "createRuntimeSession", status=400)
    assert sorted(body["details"]) == [
        "visitor.externalId: Must be a string, not a number.",
        "visitor.name: Must be a string, not a boolean.",
    ]


@pytest.mark.parametrize(
    ("method", "operation"), [("post", "registerDevicePushToken"), ("delete", "unregisterDevicePushToken")]
)
def test_a_non_string_push_token_is_refused(api_client, assert_contract, tenant, method, operation):
    raw = '{"platform": "android", "token": 123456}'
    response = _post_raw(api_client, "/api/sdk/devices/push-token", raw, runtime_headers(tenant), method=method)
    body = assert_contract(response, operation, status=400)
    assert "token: Must be a string, not a number." in body["details"]
    assert not DevicePushToken.objects.for_tenant(tenant).exists()


@pytest.mark.parametrize(
    ("url", "operation", "raw", "detail"),
    [
        (
            "/api/server/sdk-token/agent",
            "createAgentToken",
            '{"agentId": 5}',
            "agentId: Must be a string, not a number.",
        ),
        (
            "/api/server/sdk-token/admin",
            "createAdminToken",
            '{"adminActorId": 5}',
            "adminActorId: Must be a string, not a number.",
        ),
        (
            "/api/server/sdk-token/admin",
            "createAdminToken",
            '{"expiresIn": "600"}',
            "expiresIn: Must be an integer, not a string.",
        ),
        (
            "/api/server/sdk-token/admin",
            "createAdminToken",
            '{"scopes": "admin:read"}',
            "scopes: Must be an array, not a string.",
        ),
    ],
)
def test_runtime_token_bodies_are_strictly_typed(api_client, assert_contract, tenant, url, operation, raw, detail):
    response = _post_raw(api_client, url, raw, server_headers(tenant))
    body = assert_contract(response, operation, status=400)
    assert detail in body["details"]


def test_a_non_string_slug_on_the_developer_test_is_refused(api_client, assert_contract, tenant):
    response = _post_raw(api_client, "/api/sdk/developer/test", '{"slug": 0}', _owner(tenant))
    body = assert_contract(response, "testDeveloperSdkSettings", status=400)
    assert body["details"] == ["slug: Must be a string, not a number."]


def test_pricing_names_and_numbers_are_strictly_typed(api_client, assert_contract):
    raw = '{"provider": 1, "chatModel": false, "markupMultiplier": "2.0", "maxRetries": "3"}'
    response = _post_raw(api_client, "/api/platform/ai-pricing", raw, _platform(), method="put")
    body = assert_contract(response, "updatePlatformAiPricing", status=400)
    assert sorted(body["details"]) == [
        "chatModel: Must be a string, not a boolean.",
        "markupMultiplier: Must be a number, not a string.",
        "maxRetries: Must be an integer, not a string.",
        "provider: Must be a string, not a number.",
    ]


def test_login_and_logout_bodies_are_strictly_typed(api_client, assert_contract):
    response = _post_raw(api_client, "/api/auth/owner-login", '{"email": 1, "password": true}', {})
    body = assert_contract(response, "loginOwner", status=400)
    assert sorted(body["details"]) == [
        "email: Must be a string, not a number.",
        "password: Must be a string, not a boolean.",
    ]
    response = _post_raw(api_client, "/api/auth/workspace-logout", '{"refreshToken": 5}', {})
    assert assert_contract(response, "logoutWorkspace", status=400)["details"] == [
        "refreshToken: Must be a string, not a number."
    ]


# --- finding 5: a missing required body, a limit above its maximum ---------------------------

BODY_REQUIRED = ["body: This operation needs a JSON request body (Content-Type: application/json)."]


@pytest.mark.parametrize(
    ("url", "operation"),
    [
        ("/api/server/sdk-token/admin", "createAdminToken"),
        ("/api/server/visitor-context-token", "createVisitorContextToken"),
    ],
)
def test_server_token_operations_without_a_body_are_a_400_naming_the_body(
    api_client, assert_contract, tenant, url, operation
):
    response = api_client.post(url, **server_headers(tenant))
    body = assert_contract(response, operation, status=400)
    assert body["details"] == BODY_REQUIRED


def test_updating_a_credential_without_a_body_is_a_400_naming_the_body(api_client, assert_contract, tenant):
    key = ServerApiKeyFactory(tenant=tenant)
    response = api_client.patch(f"/api/sdk/developer/server-api-credentials/{key.public_id}", **_owner(tenant))
    body = assert_contract(response, "updateServerApiCredential", status=400)
    assert body["details"] == BODY_REQUIRED


def test_updating_ai_pricing_without_a_body_is_a_400_naming_the_body(api_client, assert_contract):
    response = api_client.put("/api/platform/ai-pricing", **_platform())
    body = assert_contract(response, "updatePlatformAiPricing", status=400)
    assert body["details"] == BODY_REQUIRED


def test_an_empty_json_object_is_still_a_body(api_client, assert_contract, tenant):
    response = api_client.post("/api/server/sdk-token/admin", {}, format="json", **server_headers(tenant))
    assert_contract(response, "createAdminToken", status=201)


def test_a_contacts_limit_above_the_maximum_is_a_400_naming_the_maximum(api_client, assert_contract, tenant):
    response = api_client.get("/api/server/contacts?limit=101", **server_headers(tenant))
    body = assert_contract(response, "listContacts", status=400)
    assert body["code"] == "SERVER_CONTACT_VALIDATION_FAILED"
    assert body["details"] == ["limit: must be at most 100."]


# --- found by the fuzzer ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "operation", "headers"),
    [
        ("/api/server/visitor-context-token", "createVisitorContextToken", "server"),
        ("/api/sdk/session", "createRuntimeSession", "public"),
    ],
)
def test_a_blank_visitor_email_is_not_an_email(api_client, assert_contract, tenant, url, operation, headers):
    body = {"visitor": {"externalId": "v1", "email": ""}}
    if headers == "public":
        body["slug"] = tenant.slug
    response = api_client.post(url, body, format="json", **(server_headers(tenant) if headers == "server" else {}))
    assert "visitor.email: This field may not be blank." in assert_contract(response, operation, status=400)["details"]


def test_a_webhook_deliveries_limit_above_the_maximum_is_a_400_naming_the_maximum(api_client, assert_contract):
    tenant = ready_tenant(features={"server_api": True, "webhooks": True})
    headers = server_headers(tenant, scopes=["server:webhook:read"])
    response = api_client.get("/api/server/webhooks/deliveries?limit=101", **headers)
    body = assert_contract(response, "listWebhookDeliveries", status=400)
    assert body["details"] == ["limit: Ensure this value is less than or equal to 100."]
    assert_contract(
        api_client.get("/api/server/webhooks/deliveries?limit=100", **headers), "listWebhookDeliveries", 200
    )


@pytest.mark.parametrize("query", ["startDate=", "endDate=yesterday", "period=7days&startDate=2026-13-40"])
def test_a_report_date_that_is_not_a_date_is_refused_whatever_the_period(api_client, assert_contract, tenant, query):
    headers = server_headers(tenant, scopes=["server:reports:read"])
    response = api_client.get(f"/api/server/reports/summary?{query}", **headers)
    body = assert_contract(response, "getServerReportSummary", status=400)
    assert body["code"] == "REPORT_DATE_RANGE_INVALID"
    assert body["details"][0].endswith(": Not an ISO date or date-time.")


@pytest.mark.parametrize(
    ("url", "operation"),
    [
        ("/api/server/reports/export?format=json&period=", "exportServerReport"),
        ("/api/server/reports/summary?period=", "getServerReportSummary"),
    ],
)
def test_an_empty_period_is_not_read_as_the_default_period(api_client, assert_contract, url, operation):
    tenant = ready_tenant(features={"server_api": True, "reports_export": True})
    response = api_client.get(url, **server_headers(tenant, scopes=["server:reports:read"]))
    assert assert_contract(response, operation, status=400)["details"] == ['period: "" is not a valid choice.']
