"""The join page in a real browser under its Content-Security-Policy: it renders, joins, breaks no rule."""

import pytest

from apps.calls import link_services
from apps.calls.models import CallSession
from apps.calls.tests.factories import call_tenant, conversation_for, visitor_actor
from ringnity.testing.browser import csp_violations, watch_csp

pytestmark = [pytest.mark.browser]


@pytest.mark.django_db(transaction=True)
def test_a_visitor_opens_the_link_joins_and_the_page_holds_what_the_browser_needs(live_server, chromium_page, settings):
    settings.RINGNITY_PUBLIC_URL = live_server.url
    conversation = conversation_for(call_tenant(name="Acme Shoes"))
    _, token = link_services.call_link_create(
        tenant=conversation.tenant,
        actor=visitor_actor(conversation.visitor),
        conversation_id=conversation.public_id,
        service="voice_call",
    )
    page = chromium_page
    messages = watch_csp(page)
    response = page.goto(link_services.call_link_url(token))
    assert response.status == 200
    assert "Acme Shoes" in page.text_content("h1")
    assert page.evaluate("getComputedStyle(document.querySelector('main')).borderRadius") == "8px"  # its stylesheet
    page.click("button[name=join]")
    page.wait_for_selector("main[data-state=joined]")
    joined = page.locator("main#call-join")
    assert joined.get_attribute("data-call-session-id") == CallSession.objects.get().public_id
    assert joined.get_attribute("data-realtime-url") == "ws" + live_server.url.removeprefix("http") + "/realtime/v1"
    assert joined.get_attribute("data-credential").count(".") == 2
    assert csp_violations(page, messages) == []
    page.go_back()
    page.reload()
    assert page.locator("main#call-join").get_attribute("data-state") == "used"
