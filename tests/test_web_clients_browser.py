"""The two web clients together, as issue 20's first hour: a visitor on ``/demo/`` (the widget) and an agent in
``/inbox/``, two chromium contexts against one real server process (pages, API, realtime gateway). They chat
both ways without a reload (typing and read receipts too), then a call connects with chromium's fake media
and the hang-up ends it.

How long a message takes to show on the other side is measured in the browsers (``requestAnimationFrame``
polling, one machine's clock) and printed, not asserted: the goal is 1 s; the waits are generous because
the machine is shared.
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from apps.calls.models import CallSession
from apps.chat.models import Conversation, Message
from apps.inbox.tests.helpers import WAIT_MS, row, sign_in
from apps.platform.demo import DEMO_AGENTS, DEMO_PASSWORD, demo_seed
from apps.realtime.tests.gateway import gateway_process
from apps.tenants.models import User
from ringnity.testing.browser import csp_violations, watch_csp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: Every RTCPeerConnection a page makes (the widget keeps its own in a closure), to read their states.
RECORD_PEER_CONNECTIONS = """
window.__peerConnections = [];
const Native = window.RTCPeerConnection;
if (Native) {
  window.RTCPeerConnection = class extends Native {
    constructor(...args) { super(...args); window.__peerConnections.push(this); }
  };
}
"""
CONNECTED = "() => window.__peerConnections.some((pc) => pc.connectionState === 'connected')"
IN_WIDGET = "(text) => (document.querySelector('ringnity-chat')?.shadowRoot?.textContent || '').includes(text)"
IN_TRANSCRIPT = "(text) => document.querySelector('#transcript').textContent.includes(text)"
IN_LIST = "() => document.querySelectorAll('#conversation-list li').length > 0"


@pytest.fixture(scope="module")
def server(django_db_setup):
    with gateway_process(static=True) as process:
        yield process


def shown_after(page, started: float, predicate: str, arg=None) -> float:
    """Seconds from ``started`` (time.time()) until ``predicate(arg)`` holds in the page, polled every frame."""
    shown = page.wait_for_function(
        f"(arg) => ({predicate})(arg) && Date.now()", arg=arg, polling="raf", timeout=WAIT_MS
    )
    return shown.json_value() / 1000 - started


def test_a_visitor_on_the_demo_page_and_an_agent_in_the_inbox_chat_and_call(server, media_browser):
    demo = demo_seed().tenant
    agent = User.objects.get(tenant=demo, username=DEMO_AGENTS[0])
    visitor_context, agent_context = media_browser.new_context(), media_browser.new_context()
    for context in (visitor_context, agent_context):
        context.add_init_script(RECORD_PEER_CONNECTIONS)
        context.set_default_timeout(WAIT_MS)
    visitor, inbox = visitor_context.new_page(), agent_context.new_page()
    visitor_csp, inbox_csp = watch_csp(visitor), watch_csp(inbox)
    timings = {}

    sign_in(inbox, server, demo, agent, password=DEMO_PASSWORD)
    visitor.goto(f"{server.http}/demo/")
    visitor.get_by_test_id("rn-launcher").click()
    expect(visitor.get_by_test_id("rn-panel")).to_be_visible()

    # visitor -> agent: the new conversation appears in the inbox's list, then its transcript
    started = time.time()
    visitor.get_by_test_id("rn-input").fill("Hello, is anyone there?")
    visitor.get_by_test_id("rn-input").press("Enter")
    timings["visitor's first message -> inbox list"] = shown_after(inbox, started, IN_LIST)
    conversation = Conversation.objects.get(tenant=demo)
    row(inbox, conversation.public_id).locator("button").click()
    expect(inbox.get_by_test_id("transcript")).to_contain_text("Hello, is anyone there?")
    inbox.get_by_test_id("accept").click()
    expect(inbox.get_by_test_id("conversation-status")).to_contain_text("assigned to you")

    # agent -> visitor: typing, the reply, and the visitor's read receipt back in the inbox
    inbox.get_by_test_id("reply").fill("Hi! Dana here, how can I help?")
    expect(visitor.get_by_test_id("rn-typing")).not_to_be_empty()
    started = time.time()
    inbox.get_by_test_id("reply").press("Enter")
    timings["agent reply -> widget"] = shown_after(visitor, started, IN_WIDGET, "Dana here, how can I help?")
    sent = inbox.get_by_test_id("transcript").locator('li[data-sender="agent"]')
    expect(sent.get_by_test_id("receipt")).to_have_text("Read")

    # visitor -> agent, into the open transcript, typing first
    visitor.get_by_test_id("rn-input").fill("Where is order 1042?")
    expect(inbox.get_by_test_id("typing")).to_have_text("The visitor is typing…")
    started = time.time()
    visitor.get_by_test_id("rn-input").press("Enter")
    timings["visitor message -> inbox transcript"] = shown_after(inbox, started, IN_TRANSCRIPT, "Where is order 1042?")

    bodies = list(
        Message.objects.filter(conversation=conversation).order_by("created_at").values_list("body", flat=True)
    )
    assert bodies == ["Hello, is anyone there?", "Hi! Dana here, how can I help?", "Where is order 1042?"]

    # the call: the visitor calls, the inbox shows Answer, both peers connect on fake media
    visitor.get_by_test_id("rn-call").click()
    expect(inbox.get_by_test_id("call-panel")).to_be_visible()
    inbox.get_by_test_id("call-answer").click()
    inbox.wait_for_function(CONNECTED, timeout=WAIT_MS)
    visitor.wait_for_function(CONNECTED, timeout=WAIT_MS)
    expect(inbox.get_by_test_id("call-panel")).to_have_attribute("data-state", "connected")
    call = CallSession.objects.get(conversation=conversation)
    assert call.status == "answered"

    inbox.get_by_test_id("call-hangup").click()  # call.hangup: the gateway ends the call session
    deadline = time.monotonic() + WAIT_MS / 1000
    while CallSession.objects.get(pk=call.pk).status != "ended" and time.monotonic() < deadline:
        time.sleep(0.2)
    call.refresh_from_db()
    assert call.status == "ended"
    assert call.ended_at is not None
    expect(visitor.get_by_test_id("rn-call-panel")).to_be_hidden()

    assert csp_violations(visitor, visitor_csp) == []
    assert csp_violations(inbox, inbox_csp) == []
    print("\nweb clients, time until shown on the other side (goal 1 s):")
    for name, seconds in timings.items():
        print(f"  {name}: {seconds * 1000:.0f} ms")
