"""The widget in Debian's chromium against a real server process (uvicorn: the API, the pages and the
realtime gateway on one loopback port, on the test database and Redis): a visitor on the demo page, the
agent on the REST API (agent-sdk routes) and its own gateway socket."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from apps.calls.models import CallSession, CallStatus
from apps.chat.models import Attachment, Message, SenderType
from apps.realtime.tests.gateway import gateway_process
from ringnity.testing.browser import csp_violations, watch_csp

from .browser import (
    AGENT,
    WAIT_MS,
    agent_header,
    agent_says,
    agent_socket,
    bodies,
    conversation_of,
    demo_tenant,
    http,
    message,
    open_widget,
    visitor_says,
    wait_sent,
    widget,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def gateway(django_db_setup):
    with gateway_process(static=True) as server:  # static: /static/calls/rtc.js, the call module
        yield server


def test_the_agent_reply_typing_and_read_receipt_reach_the_widget_live(gateway, chromium_page, assert_contract):
    demo = demo_tenant()
    page = chromium_page
    console = watch_csp(page)
    page.goto(f"{gateway.http}/demo/")
    open_widget(page)
    expect(page.get_by_test_id("rn-input")).to_be_focused()
    visitor_says(page, "Where is my order?")
    wait_sent(page, "Where is my order?")
    expect(widget(page)).to_have_attribute("data-live", "true", timeout=WAIT_MS)
    conversation = conversation_of(demo.tenant)
    sent = Message.objects.get(conversation=conversation, sender_type=SenderType.VISITOR)
    assert sent.body == "Where is my order?"
    assert sent.client_message_id.startswith("wgt_")

    agent = agent_socket(gateway, demo, conversation.public_id)
    agent.send({"type": "typing", "conversationId": conversation.public_id, "isTyping": True})
    expect(page.get_by_test_id("rn-typing")).to_have_text("An agent is typing…", timeout=WAIT_MS)

    path = f"{AGENT}/{conversation.public_id}/messages/{sent.public_id}/read"
    response = http(gateway, "POST", path, headers=agent_header(demo))
    assert_contract(response, "markAgentMessageRead", status=200)
    expect(message(page, "visitor", "Where is my order?")).to_have_attribute("data-status", "read", timeout=WAIT_MS)
    expect(message(page, "visitor", "Where is my order?").get_by_test_id("rn-receipt")).to_contain_text("Read")

    agent_says(gateway, demo, conversation.public_id, "It ships today.", assert_contract)
    expect(message(page, "agent", "It ships today.")).to_have_count(1, timeout=WAIT_MS)
    expect(page.get_by_test_id("rn-typing")).to_have_text("")  # a reply ends the typing indicator

    page.get_by_test_id("rn-input").fill("Thanks")  # the visitor's typing reaches the agent
    typing = agent.recv_type("typing", timeout=30, skip=("ping", "presence", "message.created", "message.read"))
    assert typing["isTyping"] is True
    assert typing["sender"]["kind"] == "visitor"
    agent.close()
    assert csp_violations(page, console) == []


def test_offline_replies_arrive_once_in_order_and_the_queued_message_is_sent_once(
    gateway, chromium_page, assert_contract
):
    demo = demo_tenant()
    page = chromium_page
    page.goto(f"{gateway.http}/demo/")
    open_widget(page)
    visitor_says(page, "Hello?")
    wait_sent(page, "Hello?")
    expect(widget(page)).to_have_attribute("data-live", "true", timeout=WAIT_MS)
    conversation = conversation_of(demo.tenant)

    page.context.set_offline(True)
    expect(widget(page)).to_have_attribute("data-state", "offline", timeout=WAIT_MS)
    expect(page.get_by_test_id("rn-status")).to_contain_text("offline")
    agent_says(gateway, demo, conversation.public_id, "First reply", assert_contract)
    agent_says(gateway, demo, conversation.public_id, "Second reply", assert_contract)
    visitor_says(page, "Typed while offline")
    expect(message(page, "visitor", "Typed while offline")).to_have_attribute("data-status", "queued")
    assert not Message.objects.filter(conversation=conversation, body="Typed while offline").exists()

    page.context.set_offline(False)
    wait_sent(page, "Typed while offline")
    expect(message(page, "agent")).to_have_count(2, timeout=WAIT_MS)
    expect(bodies(page, "agent")).to_have_text(["First reply", "Second reply"])
    expect(bodies(page, "visitor")).to_have_text(["Hello?", "Typed while offline"])
    expect(widget(page)).to_have_attribute("data-live", "true", timeout=WAIT_MS)
    stored = list(
        Message.objects.filter(conversation=conversation).order_by("created_at").values_list("body", flat=True)
    )
    assert stored == ["Hello?", "First reply", "Second reply", "Typed while offline"]


def test_a_reload_keeps_the_conversation_and_the_session(gateway, chromium_page, assert_contract):
    demo = demo_tenant()
    page = chromium_page
    page.goto(f"{gateway.http}/demo/")
    open_widget(page)
    visitor_says(page, "Before the reload")
    wait_sent(page, "Before the reload")
    conversation = conversation_of(demo.tenant)
    agent_says(gateway, demo, conversation.public_id, "Seen before the reload", assert_contract)
    expect(message(page, "agent", "Seen before the reload")).to_have_count(1, timeout=WAIT_MS)

    page.reload()
    open_widget(page)
    expect(message(page, "visitor", "Before the reload")).to_have_count(1, timeout=WAIT_MS)
    expect(message(page, "agent", "Seen before the reload")).to_have_count(1)
    expect(widget(page)).to_have_attribute("data-live", "true", timeout=WAIT_MS)
    agent_says(gateway, demo, conversation.public_id, "After the reload", assert_contract)
    expect(bodies(page, "agent")).to_have_text(["Seen before the reload", "After the reload"], timeout=WAIT_MS)
    visitor_says(page, "Still me")
    wait_sent(page, "Still me")
    assert conversation_of(demo.tenant).pk == conversation.pk  # the same conversation, the same visitor
    assert Message.objects.filter(conversation=conversation, sender_type=SenderType.VISITOR).count() == 2


def test_a_file_is_sent_and_downloads_again(gateway, chromium_page):
    demo = demo_tenant()
    page = chromium_page
    page.goto(f"{gateway.http}/demo/")
    open_widget(page)
    files = {"name": "order-notes.txt", "mimeType": "text/plain", "buffer": b"Order 1042: blue, size 38.\n"}
    page.get_by_test_id("rn-file").set_input_files(files)
    link = message(page, "visitor").get_by_test_id("rn-attachment")
    expect(link).to_have_text("order-notes.txt", timeout=WAIT_MS)
    expect(link).to_have_accessible_name("Download order-notes.txt")
    attachment = Attachment.objects.get(conversation=conversation_of(demo.tenant))
    assert attachment.original_filename == "order-notes.txt"
    assert attachment.content_type == "text/plain"
    with page.expect_download() as download:
        link.click()
    assert Path(download.value.path()).read_bytes() == b"Order 1042: blue, size 38.\n"


def test_the_call_button_signals_through_the_call_module_and_hang_up_ends_the_call(gateway, media_browser):
    """The widget's half of a call (the two-browser call is the inbox's test): the call session over REST, the
    offer through /static/calls/rtc.js and the gateway to the subscribed agent, and the hang-up."""
    demo = demo_tenant()
    page = media_browser.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(f"{gateway.http}/demo/")
    open_widget(page)
    visitor_says(page, "Can we talk?")
    wait_sent(page, "Can we talk?")
    conversation = conversation_of(demo.tenant)
    agent = agent_socket(gateway, demo, conversation.public_id)
    expect(widget(page)).to_have_attribute("data-live", "true", timeout=WAIT_MS)

    page.get_by_test_id("rn-call").click()
    expect(page.get_by_test_id("rn-call-panel")).to_have_attribute("data-state", "connecting", timeout=WAIT_MS)
    call = CallSession.objects.get(conversation=conversation)
    skip = ("ping", "presence", "message.created", "call.started", "call.ice")
    offer = agent.recv_type("call.offer", timeout=30, skip=skip)
    assert offer["callSessionId"] == call.public_id
    assert offer["sdp"].startswith("v=0")

    page.get_by_test_id("rn-hangup").click()
    expect(page.get_by_test_id("rn-call-panel")).to_be_hidden()
    expect(message(page, "system", "The call ended.")).to_have_count(1)
    expect(page.get_by_test_id("rn-call")).to_be_visible()
    heard = {}
    while len(heard) < 2:  # the relayed hang-up and the durable end, in either order
        frame = agent.recv(timeout=30)
        if frame["type"] in ("call.hangup", "call.ended"):
            heard[frame["type"]] = frame
    assert heard["call.hangup"]["callSessionId"] == call.public_id
    assert heard["call.ended"]["data"]["id"] == call.public_id
    agent.close()
    call.refresh_from_db()
    assert call.status == CallStatus.ENDED
