"""What the widget's browser tests share: the demo tenant, a page with the widget, an agent on the API and
the gateway, and the widget's DOM (its test ids are documented at the top of ``static/widget/v1.js``)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from types import SimpleNamespace

from playwright.sync_api import expect

from apps.chat.models import Conversation
from apps.chat.tests.chat_fixtures import agent_headers
from apps.platform.demo import DEMO_AGENTS, demo_seed
from apps.realtime.tests.gateway import token_of
from apps.tenants.models import User

AGENT = "/api/agent-sdk/conversations"
#: Generous: two cores shared by several test suites (assert what matters, not how fast).
WAIT_MS = 30_000


@dataclass
class Demo:
    tenant: object
    agent: object
    agent_headers: dict

    @property
    def client_id(self) -> str:
        return self.tenant.public_id


def demo_tenant() -> Demo:
    """The demo tenant of ``make run`` (the one ``/demo/`` embeds the widget for) and its first agent."""
    tenant = demo_seed().tenant
    agent = User.objects.get(tenant=tenant, username=DEMO_AGENTS[0])
    return Demo(tenant, agent, agent_headers(agent))


def widget(page):
    """The widget's shadow root content (Playwright's CSS locators pierce open shadow roots)."""
    return page.locator("ringnity-chat")


def open_widget(page) -> None:
    page.get_by_test_id("rn-launcher").click()
    expect(page.get_by_test_id("rn-panel")).to_be_visible(timeout=WAIT_MS)


def visitor_says(page, text: str) -> None:
    page.get_by_test_id("rn-input").fill(text)
    page.get_by_test_id("rn-input").press("Enter")


def message(page, sender: str, text: str | None = None):
    found = page.locator(f'[data-testid="rn-message"][data-sender="{sender}"]')
    return found.filter(has_text=text) if text else found


def bodies(page, sender: str):
    """The message texts of ``sender`` in the widget, in order."""
    return message(page, sender).get_by_test_id("rn-body")


def wait_sent(page, text: str) -> None:
    expect(message(page, "visitor", text)).to_have_attribute("data-status", "sent", timeout=WAIT_MS)


def conversation_of(tenant) -> Conversation:
    return Conversation.objects.filter(tenant=tenant).latest("created_at")


def http(gateway, method: str, path: str, *, body=None, headers: dict | None = None):
    """A request to the server process (what a client does; the test's own thread runs Playwright's loop, where
    the in-process client could not publish to the gateway), answered as ``assert_contract`` reads it."""
    request = urllib.request.Request(  # noqa: S310 - loopback
        gateway.http + path,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
        method=method,
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 - loopback
            status, content, answer_headers = answer.status, answer.read(), answer.headers
    except urllib.error.HTTPError as error:
        status, content, answer_headers = error.code, error.read(), error.headers
    return SimpleNamespace(
        status_code=status,
        content=content,
        headers=answer_headers,
        request={"REQUEST_METHOD": method, "PATH_INFO": path.split("?")[0]},
    )


def agent_header(demo: Demo) -> dict:
    return {"X-Ringnity-SDK-Session": token_of(demo.agent_headers)}


def agent_says(gateway, demo: Demo, conversation_id: str, body: str, assert_contract) -> dict:
    path = f"{AGENT}/{conversation_id}/messages"
    response = http(gateway, "POST", path, body={"body": body}, headers=agent_header(demo))
    return assert_contract(response, "sendAgentConversationMessage", status=201)["data"]["message"]


def agent_socket(gateway, demo: Demo, conversation_id: str):
    """The agent's gateway socket, subscribed to the conversation (typing is heard only after that)."""
    socket = gateway.socket()
    socket.auth(token_of(demo.agent_headers))
    socket.send({"type": "subscribe", "conversationId": conversation_id})
    socket.recv_type("subscribed", timeout=30, skip=("ping", "presence", "conversation.created", "message.created"))
    return socket
