"""Who a visitor is: only a Server-API-signed context token links a visitor to an existing contact.

An anonymous or unverified visitor may claim any ``externalId`` or e-mail; linking on that claim
would file the caller's conversations under a real customer's contact (for agents and webhook
consumers alike). The claim stays on the visitor row, marked unverified.
"""

import pytest

from apps.chat.models import Contact, Conversation, Visitor
from apps.chat.services import contact_upsert
from apps.chat.tests.chat_fixtures import chat_tenant, send_message, start_conversation, visitor_headers
from apps.runtime.tests.fixtures import server_headers

pytestmark = pytest.mark.django_db

SESSIONS = "/api/chat/visitor/sessions"
CONVERSATIONS = "/api/chat/visitor/conversations"
CLAIM = {"externalId": "cust-777", "email": "vip@customer.test", "name": "Mallory"}


@pytest.fixture
def tenant():
    return chat_tenant(slug="shop")


@pytest.fixture
def customer(tenant):
    contact, _ = contact_upsert(
        tenant=tenant,
        fields={"external_id": "cust-777", "email": "vip@customer.test", "name": "Vip", "phone": "+14155550100"},
    )
    return contact


def _assert_claim_kept_unlinked(visitor: Visitor, claim: dict) -> None:
    assert visitor.contact_id is None
    assert not visitor.verified
    assert visitor.external_id == claim.get("externalId", "")
    assert visitor.email == claim.get("email", "")
    assert not Conversation.objects.filter(contact__isnull=False).exists()


def test_anonymous_session_claiming_a_customer_is_not_linked_to_its_contact(api_client, assert_contract, customer):
    response = api_client.post(SESSIONS, {"visitor": CLAIM}, format="json", HTTP_X_RINGNITY_TENANT="shop")
    assert_contract(response, "createVisitorChatSession", status=201)
    _assert_claim_kept_unlinked(Visitor.objects.get(), CLAIM)
    assert Contact.objects.get() == customer


def test_anonymous_conversation_claiming_a_customer_gets_no_contact_id(api_client, assert_contract, customer):
    response = api_client.post(CONVERSATIONS, {"visitor": CLAIM}, format="json", HTTP_X_RINGNITY_TENANT="shop")
    conversation = assert_contract(response, "createVisitorConversation", status=201)["data"]["conversation"]
    assert "contactId" not in conversation
    _assert_claim_kept_unlinked(Visitor.objects.get(), CLAIM)


@pytest.mark.parametrize("email", ["VIP@Customer.TEST", "vip@CUSTOMER.test", "Vip@customer.test"])
def test_case_variant_email_claim_is_not_linked(api_client, assert_contract, tenant, email):
    contact_upsert(tenant=tenant, fields={"email": "vip@customer.test", "name": "Vip", "phone": "+14155550100"})
    claim = {"email": email}
    response = api_client.post(CONVERSATIONS, {"visitor": claim}, format="json", HTTP_X_RINGNITY_TENANT="shop")
    conversation = assert_contract(response, "createVisitorConversation", status=201)["data"]["conversation"]
    assert "contactId" not in conversation
    _assert_claim_kept_unlinked(Visitor.objects.get(), claim)


def test_unverified_sdk_session_claim_is_not_linked(api_client, assert_contract, tenant, customer):
    issued = api_client.post("/api/sdk/session", {"slug": "shop", "visitor": CLAIM}, format="json")
    token = assert_contract(issued, "createRuntimeSession", status=201)["data"]["sessionToken"]
    headers = {"HTTP_X_RINGNITY_SDK_SESSION": token}
    session = api_client.post(SESSIONS, {}, format="json", **headers)
    assert_contract(session, "createVisitorChatSession", status=201)
    conversation = start_conversation(api_client, headers)
    assert "contactId" not in conversation
    message = send_message(api_client, headers, conversation["conversationId"], visitor=CLAIM)
    assert "senderContactId" not in message
    _assert_claim_kept_unlinked(Visitor.objects.get(), CLAIM)


def test_claim_sent_with_a_message_is_not_linked(api_client, tenant, customer):
    headers = visitor_headers(tenant)
    conversation = start_conversation(api_client, headers)
    message = send_message(api_client, headers, conversation["conversationId"], visitor=CLAIM)
    assert "senderContactId" not in message
    _assert_claim_kept_unlinked(Visitor.objects.get(), CLAIM)
    customer.refresh_from_db()
    assert customer.name == "Vip"


def test_unverified_claim_creates_no_contact(api_client, tenant):
    """Nor a new one: a contact made from a claim would be what the real customer is matched to later."""
    api_client.post(SESSIONS, {"visitor": CLAIM}, format="json", HTTP_X_RINGNITY_TENANT="shop")
    assert not Contact.objects.exists()
    _assert_claim_kept_unlinked(Visitor.objects.get(), CLAIM)


def test_verified_context_token_still_links_the_customer_contact(api_client, assert_contract, tenant, customer):
    issued = api_client.post(
        "/api/server/visitor-context-token",
        {"visitor": CLAIM | {"name": "Vip"}},
        format="json",
        **server_headers(tenant),
    )
    context_token = assert_contract(issued, "createVisitorContextToken", status=201)["data"]["token"]
    session = api_client.post("/api/sdk/session", {"slug": "shop", "contextToken": context_token}, format="json")
    token = assert_contract(session, "createRuntimeSession", status=201)["data"]["sessionToken"]
    conversation = start_conversation(api_client, {"HTTP_X_RINGNITY_SDK_SESSION": token})
    assert conversation["contactId"] == customer.public_id
    visitor = Visitor.objects.get()
    assert visitor.verified
    assert visitor.contact == customer
