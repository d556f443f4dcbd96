"""Phones are stored E.164 (``ringnity.api.phones``) on every path that writes one; a non-number is a 400.

Paths: Server API contacts (upsert creates or updates, PATCH), the visitor's stated identity (chat
session and conversation starts), the SDK session and the Server API's visitor context token.
"""

import pytest

from apps.chat import services
from apps.chat.models import Contact, Visitor
from apps.chat.tests.chat_fixtures import chat_tenant
from apps.runtime.tests.fixtures import ready_tenant, server_headers
from ringnity.api.errors import ApiError
from ringnity.api.phones import PhoneNumberInvalid, phone_e164

pytestmark = pytest.mark.django_db
CONTACTS = "/api/server/contacts"


@pytest.mark.parametrize(
    ("raw", "region", "stored"),
    [
        ("+1 (415) 555-0100", None, "+14155550100"),
        ("(415) 555-0100", "US", "+14155550100"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("+44 20 7946 0958", "US", "+442079460958"),  # a country code wins over the region
    ],
)
def test_numbers_are_stored_e164(raw, region, stored):
    assert phone_e164(raw, region=region) == stored


@pytest.mark.parametrize(
    ("raw", "region"),
    [("12345", None), ("12345", "US"), ("+1 555 555 5555", None), ("call me", "US"), ("(415) 555-0100", None)],
)
def test_what_cannot_be_a_phone_number_is_refused(raw, region):
    with pytest.raises(PhoneNumberInvalid):
        phone_e164(raw, region=region)


def _upsert(client, headers, **body):
    return client.post(CONTACTS, {"name": "Ann", **body}, format="json", **headers)


def test_the_server_api_stores_and_returns_e164(api_client, assert_contract):
    tenant = ready_tenant()
    response = _upsert(api_client, server_headers(tenant), phone="+1 (415) 555-0100")
    contact = assert_contract(response, "upsertContact", status=200)["data"]["contact"]
    assert contact["phone"] == "+14155550100"
    row = Contact.objects.for_tenant(tenant).get()
    assert (row.phone, row.phone_normalized) == ("+14155550100", "+14155550100")


def test_12345_is_a_400_naming_the_phone_on_create_and_update_and_nothing_changes(api_client, assert_contract):
    tenant = ready_tenant()
    headers = server_headers(tenant)
    refused = assert_contract(_upsert(api_client, headers, phone="12345"), "upsertContact", status=400)
    assert refused["code"] == "SERVER_CONTACT_VALIDATION_FAILED"
    assert [line.split(":")[0] for line in refused["details"]] == ["phone"]
    assert not Contact.objects.exists()
    contact = _upsert(api_client, headers, phone="+14155550100").json()["data"]["contact"]
    patched = api_client.patch(f"{CONTACTS}/{contact['id']}", {"phone": "12345"}, format="json", **headers)
    body = assert_contract(patched, "updateContact", status=400)
    assert [line.split(":")[0] for line in body["details"]] == ["phone"]
    assert Contact.objects.get().phone == "+14155550100"


def test_the_service_refuses_a_non_number_from_any_caller():
    tenant = ready_tenant()
    with pytest.raises(ApiError) as caught:
        services.contact_upsert(tenant=tenant, fields={"name": "Ann", "phone": "12345"})
    assert caught.value.status == 400
    assert caught.value.details[0].startswith("phone: ")
    assert not Contact.objects.exists()


def test_a_number_without_its_country_code_is_read_in_the_tenants_region(api_client, assert_contract, settings):
    """The tenant's own phone names the region; else ``RINGNITY_PHONE_REGION``; else the code is required."""
    settings.RINGNITY_PHONE_REGION = ""
    london = ready_tenant(phone="+44 20 7946 0000")
    contact = _upsert(api_client, server_headers(london), phone="020 7946 0958").json()["data"]["contact"]
    assert contact["phone"] == "+442079460958"
    plain = ready_tenant(phone="")
    refused = assert_contract(_upsert(api_client, server_headers(plain), phone="(415) 555-0100"), "upsertContact", 400)
    assert "country code" in refused["details"][0]
    settings.RINGNITY_PHONE_REGION = "US"
    accepted = _upsert(api_client, server_headers(plain), phone="(415) 555-0100")
    assert assert_contract(accepted, "upsertContact", 200)["data"]["contact"]["phone"] == "+14155550100"


def test_a_visitors_stated_phone_is_stored_e164_and_a_non_number_is_a_400(api_client, assert_contract):
    tenant = chat_tenant()
    start = {"HTTP_X_RINGNITY_TENANT": tenant.slug}
    refused = api_client.post("/api/chat/visitor/sessions", {"visitor": {"phone": "12345"}}, format="json", **start)
    body = assert_contract(refused, "createVisitorChatSession", status=400)
    assert [line.split(":")[0] for line in body["details"]] == ["visitor.phone"]
    assert not Visitor.objects.exists()
    accepted = api_client.post(
        "/api/chat/visitor/conversations", {"visitor": {"phone": "+1 415 555 0100"}}, format="json", **start
    )
    assert_contract(accepted, "createVisitorConversation", status=201)
    assert Visitor.objects.get().phone == "+14155550100"


def test_sdk_session_and_context_token_identities_are_checked_too(api_client, assert_contract):
    tenant = ready_tenant()
    session = api_client.post("/api/sdk/session", {"slug": tenant.slug, "visitor": {"phone": "12345"}}, format="json")
    body = assert_contract(session, "createRuntimeSession", status=400)
    assert [line.split(":")[0] for line in body["details"]] == ["visitor.phone"]
    context = api_client.post(
        "/api/server/visitor-context-token",
        {"visitor": {"externalId": "crm-1", "phone": "12345"}},
        format="json",
        **server_headers(tenant),
    )
    assert [line.split(":")[0] for line in assert_contract(context, "createVisitorContextToken", 400)["details"]] == [
        "visitor.phone"
    ]
