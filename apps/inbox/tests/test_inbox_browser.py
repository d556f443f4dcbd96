"""The agent inbox in Debian's chromium against one real server process (pages, API, realtime gateway):
sign-in and its refusals, a visitor's messages arriving live, accept, reply, close/reopen, the contact
panel, AI drafts, accessibility, and the README's screenshot."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from apps.ai import services as ai_services
from apps.ai.draft_services import ai_draft_write
from apps.ai.models import AiDraft, RoutingMode
from apps.ai.tests.factories import AI_FEATURES, indexed_document
from apps.chat.models import AgentPresence, Contact, Conversation, Message
from apps.chat.tests.chat_fixtures import visitor_headers
from apps.realtime.tests.gateway import gateway_process, token_of
from ringnity.testing.axe import axe_violations
from ringnity.testing.browser import csp_violations, watch_csp

from .helpers import WAIT_MS, http, inbox_tenant, open_inbox, row, sign_in, staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
VISITOR = "/api/chat/visitor/conversations"
SCREENSHOT = Path(__file__).resolve().parents[3] / "docs" / "screenshots" / "inbox.png"


@pytest.fixture(scope="module")
def server(django_db_setup):
    with gateway_process(static=True) as process:
        yield process


def visitor_starts(server, assert_contract, tenant, subject="vis_inbox", text="Where is my order?"):
    """A visitor (runtime token) opens a conversation and writes, over REST to the server process."""
    headers = {"X-Ringnity-SDK-Session": token_of(visitor_headers(tenant, subject=subject))}
    response = http(server, "POST", VISITOR, {"subject": "Order 1042"}, headers)
    conversation_id = assert_contract(response, "createVisitorConversation", status=201)["data"]["conversation"][
        "conversationId"
    ]
    visitor_says(server, assert_contract, headers, conversation_id, text)
    return conversation_id, headers


def visitor_says(server, assert_contract, headers, conversation_id, text):
    response = http(server, "POST", f"{VISITOR}/{conversation_id}/messages", {"body": text}, headers)
    return assert_contract(response, "sendVisitorConversationMessage", status=201)["data"]["message"]


def agent_opens_a_visitors_conversation(page, server, assert_contract, tenant=None, **visitor):
    """A visitor writes, an agent of the tenant signs in and opens that conversation."""
    tenant = tenant or inbox_tenant()
    agent = staff(tenant)
    conversation_id, headers = visitor_starts(server, assert_contract, tenant, **visitor)
    sign_in(page, server, tenant, agent)
    row(page, conversation_id).locator("button").click()
    expect(page.get_by_test_id("conversation-status")).not_to_have_text("Loading…", timeout=WAIT_MS)
    return tenant, conversation_id, headers


def test_wrong_password_says_so_and_the_login_locks_as_the_api_does(server, chromium_page):
    tenant = inbox_tenant()
    agent = staff(tenant)
    page = chromium_page
    messages = watch_csp(page)
    open_inbox(page, server, tenant, agent)
    error = page.get_by_test_id("sign-in-error")
    for _ in range(5):  # the workspace login's account limit
        page.fill("#password", "not-the-password")
        page.click("#sign-in-form button[type=submit]")
        expect(error).to_have_text("Invalid credentials.", timeout=WAIT_MS)
        page.evaluate("document.querySelector('#sign-in-error').textContent = ''")
    page.fill("#password", "correct-horse-battery")  # right, but the account is locked now
    page.click("#sign-in-form button[type=submit]")
    expect(error).to_contain_text("Too many failed sign-in attempts", timeout=WAIT_MS)
    expect(page.locator("#app")).to_be_hidden()
    assert csp_violations(page, messages) == []


def test_the_agent_token_is_renewed_with_the_refresh_cookie_and_sign_out_ends_it(
    server, chromium_page, assert_contract
):
    tenant = inbox_tenant()
    agent = staff(tenant)
    page = chromium_page
    sign_in(page, server, tenant, agent)
    session = page.evaluate("JSON.parse(sessionStorage.getItem('ringnity.inbox.session'))")
    assert "refresh" not in session  # the refresh token stays in its httpOnly cookie
    assert "refreshToken" not in page.evaluate("document.cookie")  # and script cannot read the cookie
    page.evaluate(  # as if the agent token were about to end: the page renews it on load
        "s => sessionStorage.setItem('ringnity.inbox.session', JSON.stringify({...s, agentTokenEndsAt: 0}))", session
    )
    page.reload()
    expect(page.get_by_test_id("connection")).to_have_text("Live", timeout=WAIT_MS)
    renewed = page.evaluate("JSON.parse(sessionStorage.getItem('ringnity.inbox.session'))")["agentToken"]
    assert renewed != session["agentToken"]
    me = http(server, "GET", "/api/agent-sdk/me", headers={"X-Ringnity-SDK-Session": renewed})
    assert assert_contract(me, "getAgentProfile", status=200)["data"]["agent"]["agentId"] == agent.public_id

    page.click("#sign-out")
    expect(page.get_by_test_id("sign-in-error")).to_have_text("You are signed out.", timeout=WAIT_MS)
    assert page.evaluate("sessionStorage.getItem('ringnity.inbox.session')") is None
    ended = http(server, "GET", "/api/agent-sdk/me", headers={"X-Ringnity-SDK-Session": renewed})
    assert_contract(ended, "getAgentProfile", status=401)  # the login it came from is over


def test_a_visitor_message_arrives_live_and_the_agent_accepts_replies_closes_and_reopens(
    server, chromium_page, assert_contract
):
    tenant = inbox_tenant()
    agent = staff(tenant)
    page = chromium_page
    messages = watch_csp(page)
    sign_in(page, server, tenant, agent)
    expect(page.get_by_test_id("me")).to_contain_text(agent.name)

    conversation_id, visitor = visitor_starts(server, assert_contract, tenant)
    expect(row(page, conversation_id)).to_be_visible(timeout=WAIT_MS)  # no reload: the gateway told the page
    row(page, conversation_id).locator("button").click()
    transcript = page.get_by_test_id("transcript")
    expect(transcript).to_contain_text("Where is my order?", timeout=WAIT_MS)

    page.get_by_test_id("accept").click()
    expect(page.get_by_test_id("conversation-status")).to_contain_text("assigned to you", timeout=WAIT_MS)
    assert Conversation.objects.get(public_id=conversation_id).assigned_agent_id == agent.pk

    page.get_by_test_id("reply").fill("It ships today.")
    page.keyboard.press("Enter")
    expect(transcript.locator('li[data-sender="agent"]')).to_contain_text("It ships today.", timeout=WAIT_MS)
    reply = Message.objects.get(conversation__public_id=conversation_id, sender_type="agent")
    assert (reply.body, reply.sender_agent_id) == ("It ships today.", agent.pk)

    visitor_says(server, assert_contract, visitor, conversation_id, "Thanks!")
    expect(transcript.locator('li[data-sender="visitor"]')).to_have_count(2, timeout=WAIT_MS)
    expect(transcript).to_contain_text("Thanks!")

    page.get_by_test_id("close").click()
    expect(page.get_by_test_id("conversation-status")).to_contain_text("closed", timeout=WAIT_MS)
    assert Conversation.objects.get(public_id=conversation_id).status == "closed"
    page.get_by_test_id("reopen").click()
    expect(page.get_by_test_id("conversation-status")).to_contain_text("open", timeout=WAIT_MS)
    assert Conversation.objects.get(public_id=conversation_id).status == "open"
    assert csp_violations(page, messages) == []


def test_the_api_refuses_and_the_page_shows_why(server, chromium_page, assert_contract):
    """The page copies no rule: reopening while the visitor has another open conversation is the API's 409."""
    page = chromium_page
    _, _, visitor = agent_opens_a_visitors_conversation(page, server, assert_contract)
    page.get_by_test_id("close").click()
    expect(page.get_by_test_id("conversation-status")).to_contain_text("closed", timeout=WAIT_MS)
    response = http(server, "POST", VISITOR, {"subject": "Another"}, visitor)
    assert_contract(response, "createVisitorConversation", status=201)
    page.get_by_test_id("reopen").click()
    expect(page.get_by_test_id("action-error")).to_have_text("The visitor already has an open conversation.")


def test_an_agent_transfers_to_a_colleague_and_sets_its_presence(server, chromium_page, assert_contract):
    tenant = inbox_tenant()
    colleague = staff(tenant, name="Casey Colleague")
    page = chromium_page
    _, conversation_id, _ = agent_opens_a_visitors_conversation(page, server, assert_contract, tenant=tenant)
    page.get_by_test_id("accept").click()
    expect(page.get_by_test_id("conversation-status")).to_contain_text("assigned to you", timeout=WAIT_MS)
    page.get_by_test_id("transfer-to").select_option(colleague.public_id)
    page.get_by_test_id("transfer").click()
    expect(page.get_by_test_id("conversation-status")).to_contain_text("assigned to Casey", timeout=WAIT_MS)
    assert Conversation.objects.get(public_id=conversation_id).assigned_agent_id == colleague.pk

    page.get_by_test_id("presence").select_option("busy")
    expect(page.get_by_test_id("app-error")).to_be_empty()
    mine = AgentPresence.objects.filter(tenant=tenant).exclude(agent=colleague)
    deadline = time.monotonic() + WAIT_MS / 1000
    while mine.values_list("status", flat=True).first() != "busy" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert mine.values_list("status", flat=True).first() == "busy"
    expect(page.get_by_test_id("presence")).to_have_value("busy")


def test_the_contact_panel_edits_the_contact(server, chromium_page, assert_contract):
    page = chromium_page
    tenant, conversation_id, _ = agent_opens_a_visitors_conversation(page, server, assert_contract)
    expect(page.get_by_test_id("visitor-info")).to_contain_text("No contact yet", timeout=WAIT_MS)

    page.fill("#contact-name", "Ada Lovelace")
    page.get_by_test_id("contact-save").click()
    expect(page.get_by_test_id("contact-result")).to_contain_text("phone", timeout=WAIT_MS)  # the API's 400
    assert not Contact.objects.filter(tenant=tenant).exists()

    page.fill("#contact-phone", "+14155550100")
    page.fill("#contact-tags", "vip, returning")
    page.fill("#contact-notes", "Prefers email.")
    page.get_by_test_id("contact-save").click()
    expect(page.get_by_test_id("contact-result")).to_have_text("Saved.", timeout=WAIT_MS)
    contact = Contact.objects.get(tenant=tenant)
    assert (contact.name, contact.phone, contact.tags, contact.notes) == (
        "Ada Lovelace",
        "+14155550100",
        ["vip", "returning"],
        "Prefers email.",
    )
    assert Conversation.objects.get(public_id=conversation_id).contact_id == contact.pk
    expect(page.get_by_test_id("visitor-info")).to_contain_text(contact.public_id)


def test_an_ai_draft_is_shown_and_used_when_routing_is_ai_assisted(server, chromium_page, assert_contract):
    tenant = inbox_tenant(features=AI_FEATURES, quotas={"knowledge_documents": 5, "ai_chat_replies": 10})
    ai_services.routing_mode_set(tenant=tenant, mode=RoutingMode.AI_ASSISTED)
    indexed_document(tenant, "shipping.txt", "Standard shipping takes three to five business days within Europe.")
    agent = staff(tenant)
    conversation_id, _ = visitor_starts(server, assert_contract, tenant, text="How long does shipping take?")
    question = Message.objects.get(conversation__public_id=conversation_id, sender_type="visitor")
    draft = ai_draft_write(message_pk=question.pk)  # what the Celery task runs (the built-in provider)
    assert draft.status == "ready", (draft.status, draft.reason)

    page = chromium_page
    sign_in(page, server, tenant, agent)
    row(page, conversation_id).locator("button").click()
    drafts = page.get_by_test_id("drafts")
    expect(drafts).to_contain_text("three to five business days", timeout=WAIT_MS)
    drafts.get_by_test_id("use-draft").click()
    expect(page.get_by_test_id("reply")).to_have_value(draft.body)
    page.get_by_test_id("send").click()
    expect(page.get_by_test_id("transcript").locator('li[data-sender="agent"]')).to_be_visible(timeout=WAIT_MS)
    sent = Message.objects.get(conversation__public_id=conversation_id, sender_type="agent")
    assert sent.body == draft.body  # the agent sent it; the AI never did
    assert not Message.objects.filter(conversation__public_id=conversation_id, sender_type="ai").exists()
    assert AiDraft.objects.filter(tenant=tenant).count() == 1


def test_axe_finds_no_serious_violation_and_the_readme_screenshot(server, chromium_page, assert_contract):
    tenant = inbox_tenant(name="Acme Shoes")
    agent = staff(tenant, name="Dana Agent")
    page = chromium_page
    page.set_viewport_size({"width": 1280, "height": 760})
    open_inbox(page, server, tenant, agent)
    assert axe_violations(page) == []  # the sign-in form

    conversation_id, visitor = visitor_starts(server, assert_contract, tenant, text="Hi! Where is order 1042?")
    sign_in(page, server, tenant, agent)
    row(page, conversation_id).locator("button").click()
    page.get_by_test_id("accept").click()
    expect(page.get_by_test_id("conversation-status")).to_contain_text("assigned to you", timeout=WAIT_MS)
    page.get_by_test_id("reply").fill("It left our warehouse this morning.")
    page.get_by_test_id("send").click()
    visitor_says(server, assert_contract, visitor, conversation_id, "Great, thank you!")
    expect(page.get_by_test_id("transcript").locator("li")).to_have_count(3, timeout=WAIT_MS)
    page.get_by_test_id("tab-mine").click()
    expect(row(page, conversation_id)).to_be_visible()
    assert axe_violations(page) == []  # the inbox with a conversation open
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))
