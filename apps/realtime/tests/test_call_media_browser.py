"""A call by call link, end to end in chromium with fake media: the visitor joins on the join page, an agent
(a minimal test page using ``/static/calls/rtc.js`` with an agent runtime token) answers, both
RTCPeerConnections reach ``connected``, and the visitor's hang-up ends the call session.

One real uvicorn process serves the pages, the static files, the API and the gateway; every frame either
browser sends or receives on its gateway socket is validated against the AsyncAPI document.
"""

from __future__ import annotations

import json

import pytest

from apps.calls.models import CallSession, CallStatus
from apps.chat.tests.chat_fixtures import CHAT_FEATURES, agent_headers, make_agent, visitor_headers
from apps.developer.models import AllowedDomain
from apps.runtime.tests.fixtures import ready_tenant
from apps.tenants.models import StaffRole
from ringnity.testing.browser import csp_violations, watch_csp
from ringnity.testing.realtime_contract import assert_client_frame, assert_server_frame
from ringnity.testing.servers import loopback_page

from .gateway import gateway_process, token_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WAIT_MS = 30_000

#: The agent's side: its own gateway socket with rtc.js, subscribed to the conversation (so it hears the
#: call's signalling); ``window.agent.answer()`` makes the callee peer and answers the offer.
AGENT_PAGE = """
async ({ moduleUrl, gatewayUrl, token, conversationId }) => {
  const { createCallPeer, openGateway } = await import(moduleUrl);
  const agent = window.agent = { states: [], peer: null, subscribed: false, callId: null, pending: [], remote: 0 };
  const gateway = await openGateway({ url: gatewayUrl, token, onFrame: (frame) => {
    if (frame.type === 'subscribed') agent.subscribed = true;
    if (frame.type === 'call.started' && frame.data.conversationId === conversationId) agent.callId = frame.data.id;
    if (agent.peer) agent.peer.handleFrame(frame); else agent.pending.push(frame);
  } });
  agent.answer = async () => {
    agent.peer = createCallPeer({
      send: gateway.send, callSessionId: agent.callId, role: 'callee',
      onState: (state) => agent.states.push(state),
      onRemoteStream: (stream) => { agent.remote = stream.getAudioTracks().length; },
    });
    agent.pending.splice(0).forEach((frame) => agent.peer.handleFrame(frame));
    await agent.peer.answer();
  };
  gateway.send({ type: 'subscribe', conversationId });
  return gateway.ready.principal.kind;
}
"""


def record_frames(page) -> dict[str, list[dict]]:
    """Every frame of the page's WebSockets, as sent and as received."""
    frames: dict[str, list[dict]] = {"sent": [], "received": []}

    def watch(ws):
        ws.on("framesent", lambda payload: frames["sent"].append(json.loads(payload)))
        ws.on("framereceived", lambda payload: frames["received"].append(json.loads(payload)))

    page.on("websocket", watch)
    return frames


def test_a_visitor_joins_by_call_link_and_talks_with_the_agent(media_browser, api_client, assert_contract, settings):
    tenant = ready_tenant(
        features={**CHAT_FEATURES, "voice_call": True}, quotas={"contacts": "unlimited", "realtime_connections": 100}
    )
    AllowedDomain.objects.create(tenant=tenant, domain="localhost")  # the agent's test page
    agent = make_agent(tenant, role=StaffRole.SUPERVISOR)
    visitor = visitor_headers(tenant, subject="vis_caller")
    response = api_client.post("/api/chat/visitor/conversations", {"subject": "Call"}, format="json", **visitor)
    conversation_id = assert_contract(response, "createVisitorConversation", status=201)["data"]["conversation"][
        "conversationId"
    ]

    with gateway_process(static=True) as server, loopback_page(b"<!doctype html><title>Agent</title>") as port:
        settings.RINGNITY_PUBLIC_URL = server.http  # the link's URL names the server the browser opens
        response = api_client.post(
            f"/api/chat/visitor/conversations/{conversation_id}/call-links", {}, format="json", **visitor
        )
        link_url = assert_contract(response, "createVisitorConversationCallLink", status=201)["data"]["callLink"]["url"]

        agent_page = media_browser.new_context().new_page()
        agent_page.set_default_timeout(WAIT_MS)
        agent_frames = record_frames(agent_page)
        agent_page.goto(f"http://localhost:{port}/")
        principal = agent_page.evaluate(
            AGENT_PAGE,
            {
                "moduleUrl": f"{server.http}/static/calls/rtc.js",
                "gatewayUrl": server.url,
                "token": token_of(agent_headers(agent)),
                "conversationId": conversation_id,
            },
        )
        assert principal == "agent"
        agent_page.wait_for_function("window.agent.subscribed")

        visitor_page = media_browser.new_context().new_page()
        visitor_page.set_default_timeout(WAIT_MS)
        visitor_frames = record_frames(visitor_page)
        messages = watch_csp(visitor_page)
        visitor_page.goto(link_url)
        visitor_page.click("button[name=join]")
        visitor_page.wait_for_selector("#call-status[data-call-state=connecting]")

        # The agent sees the call start, answers it over REST and with its peer (the visitor's first offer
        # went out before the agent listened: the caller sends it again on call.answered).
        agent_page.wait_for_function("window.agent.callId")
        call_id = agent_page.evaluate("window.agent.callId")
        agent_page.evaluate("window.agent.answer()")
        answered = api_client.patch(f"/api/calls/sessions/{call_id}/answer", {}, format="json", **agent_headers(agent))
        assert_contract(answered, "answerCallSession", status=200)

        visitor_page.wait_for_selector("#call-status[data-call-state=connected]")
        agent_page.wait_for_function("window.agent.peer.state === 'connected'")
        assert agent_page.evaluate("window.agent.remote") == 1  # the visitor's (fake) microphone
        assert visitor_page.evaluate("document.getElementById('call-audio').srcObject.getAudioTracks().length") == 1

        visitor_page.click("#call-hangup")
        visitor_page.wait_for_selector("#call-status[data-call-state=ended]")
        agent_page.wait_for_function("window.agent.peer.state === 'ended'")
        assert csp_violations(visitor_page, messages) == []

        visitor_page.wait_for_timeout(500)  # the frames of the end reach the recorders
        agent_types = [frame["type"] for frame in agent_frames["received"]]
        assert "call.ended" in agent_types
        assert "call.hangup" in agent_types
        sent_types = [frame["type"] for frame in visitor_frames["sent"]]
        assert sent_types[0] == "auth"
        assert {"call.offer", "call.ice", "call.hangup"} <= set(sent_types)

    call = CallSession.objects.get(public_id=call_id)
    assert (call.status, call.end_reason) == (CallStatus.ENDED, "The visitor hung up.")
    read = api_client.get(f"/api/calls/sessions/{call_id}", **agent_headers(agent))
    assert assert_contract(read, "getCallSession", status=200)["data"]["callSession"]["status"] == "ended"
    for recorded in (agent_frames, visitor_frames):
        for frame in recorded["received"]:
            assert_server_frame(frame)
        for frame in recorded["sent"]:
            assert_client_frame(frame)
