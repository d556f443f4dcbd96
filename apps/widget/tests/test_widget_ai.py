"""The widget with the AI answering first (routing ``ai_first``): the reply streams in over the gateway, and
"Talk to a person" hands the conversation to the team (the ``handoffAiVisitorConversation`` extension), after
which the visitor's messages go to the agents and their replies come back."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from apps.ai.models import AiConversation, RoutingMode
from apps.ai.services import routing_mode_set
from apps.ai.tests.factories import indexed_document
from apps.chat.models import Message, SenderType
from apps.realtime.tests.gateway import gateway_process

from .browser import WAIT_MS, agent_says, bodies, conversation_of, demo_tenant, message, open_widget, visitor_says

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def gateway(django_db_setup):
    # The AI reply streams from the Celery task ai.stream_reply; no worker runs here, so the server runs it in-process.
    with gateway_process(static=True, CELERY_TASK_ALWAYS_EAGER="true") as server:
        yield server


def test_the_ai_answers_first_and_talk_to_a_person_hands_over_to_the_agents(gateway, chromium_page, assert_contract):
    demo = demo_tenant()
    routing_mode_set(tenant=demo.tenant, mode=RoutingMode.AI_FIRST)
    indexed_document(demo.tenant, "shipping.txt", "Standard shipping takes three to five business days within Europe.")
    page = chromium_page
    page.goto(f"{gateway.http}/demo/")
    open_widget(page)
    visitor_says(page, "How long does shipping take?")
    expect(message(page, "ai")).to_contain_text("three to five business days", timeout=WAIT_MS)
    expect(message(page, "visitor", "How long does shipping take?")).to_have_attribute("data-status", "sent")
    conversation = conversation_of(demo.tenant)
    assert conversation.channel == "ai"

    page.get_by_test_id("rn-handoff").click()
    expect(message(page, "system", "A member of our team will reply here shortly.")).to_have_count(1)
    expect(message(page, "system", "handed over to the team")).to_have_count(1, timeout=WAIT_MS)
    expect(page.get_by_test_id("rn-handoff")).to_be_hidden()
    ai_conversation = AiConversation.objects.get(conversation=conversation)
    assert ai_conversation.handoff_reason == "visitor_asked"

    visitor_says(page, "Is express shipping possible?")
    expect(message(page, "visitor", "Is express shipping possible?")).to_have_attribute(
        "data-status", "sent", timeout=WAIT_MS
    )
    agent_says(gateway, demo, conversation.public_id, "Yes, next day for 9 €.", assert_contract)
    expect(bodies(page, "agent")).to_have_text(["Yes, next day for 9 €."], timeout=WAIT_MS)
    replies = Message.objects.filter(conversation=conversation, sender_type=SenderType.AI)
    assert replies.count() == 1  # the AI stayed silent after the hand-off
