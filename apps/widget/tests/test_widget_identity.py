"""The widget on a customer's page that knows its visitor: a context token minted by the tenant's server makes
an identified visitor (verified, linked to the contact), ``Ringnity('identify', …)`` switches to another person
without mixing their conversations, a second strings table speaks German, and the visitor's read receipts
reach the API."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from apps.chat.models import Conversation, ParticipantType, Receipt, Visitor
from apps.realtime.tests.gateway import gateway_process
from apps.runtime.services import visitor_context_token_issue
from ringnity.testing.servers import loopback_page

from .browser import WAIT_MS, agent_says, conversation_of, demo_tenant, message, visitor_says

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def gateway(django_db_setup):
    with gateway_process(static=True) as server:
        yield server


def _context_token(tenant, external_id: str, email: str) -> str:
    identity = {"externalId": external_id, "email": email, "name": external_id.title()}
    return visitor_context_token_issue(tenant=tenant, visitor=identity, metadata={}, expires_in=600).token


def _eventually(check, what: str):
    """Polls ``check`` until it returns something true (a generous deadline, not a timing assertion)."""
    deadline = time.monotonic() + WAIT_MS / 1000
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.2)
    raise AssertionError(f"never happened: {what}")


def test_an_identified_visitor_in_german_then_another_person_on_the_same_browser(
    gateway, chromium_page, assert_contract
):
    demo = demo_tenant()
    token = _context_token(demo.tenant, "cust-42", "ada@example.com")
    page = chromium_page
    body = (
        "<!doctype html><html lang='de'><head><meta charset='utf-8'><title>Kundenkonto</title></head><body>"
        f"<script src='{gateway.http}/widget/v1.js' data-client-id='{demo.client_id}' data-context-token='{token}'"
        " data-lang='de' async></script></body></html>"
    ).encode()
    with loopback_page(body, "text/html; charset=utf-8") as port:
        page.goto(f"http://localhost:{port}/konto")
        page.get_by_role("button", name="Chat öffnen").click()
        page.get_by_label("Ihre Nachricht").fill("Wo ist meine Bestellung?")
        page.get_by_role("button", name="Senden").click()
        sent = message(page, "visitor", "Wo ist meine Bestellung?")
        expect(sent).to_have_attribute("data-status", "sent", timeout=WAIT_MS)
        expect(sent.get_by_test_id("rn-receipt")).to_contain_text("Gesendet")
        first = conversation_of(demo.tenant)
        visitor = Visitor.objects.get(pk=first.visitor_id)
        assert visitor.verified
        assert visitor.external_id == "cust-42"
        assert visitor.contact is not None

        reply = agent_says(gateway, demo, first.public_id, "Sie ist unterwegs.", assert_contract)
        expect(message(page, "agent", "Sie ist unterwegs.")).to_have_count(1, timeout=WAIT_MS)
        receipt = _eventually(  # the open widget marks the agent's reply read
            lambda: Receipt.objects.filter(
                message__public_id=reply["messageId"], participant_type=ParticipantType.VISITOR, read_at__isnull=False
            ).first(),
            "the visitor's read receipt",
        )
        assert receipt.participant_id == visitor.public_id

        other = _context_token(demo.tenant, "cust-43", "grace@example.com")
        page.evaluate("(token) => window.Ringnity('identify', token)", other)
        expect(page.get_by_test_id("rn-message")).to_have_count(0)  # the first person's transcript is gone
        visitor_says(page, "Ich bin jemand anderes.")
        expect(message(page, "visitor", "Ich bin jemand anderes.")).to_have_attribute(
            "data-status", "sent", timeout=WAIT_MS
        )
    second = Conversation.objects.filter(tenant=demo.tenant).exclude(pk=first.pk).get()
    assert Visitor.objects.get(pk=second.visitor_id).external_id == "cust-43"
    assert list(second.messages.values_list("body", flat=True)) == ["Ich bin jemand anderes."]
