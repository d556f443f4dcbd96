"""The inbox's browser tests: a tenant with chat and realtime, a staff member with a known password, and
signing in through the page. The server is one real uvicorn process (pages, static files, the API and the
realtime gateway on one port, as ``make run`` serves them: ``gateway_process(static=True)``)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from playwright.sync_api import expect

from apps.chat.tests.chat_fixtures import CHAT_FEATURES, make_agent
from apps.runtime.tests.fixtures import ready_tenant
from apps.tenants.models import StaffRole
from apps.tenants.tests.factories import DEFAULT_PASSWORD

#: Generous waits: the machine is shared and a browser, a server and the test run at once.
WAIT_MS = 30_000
QUOTAS = {"contacts": "unlimited", "realtime_connections": 100}


@dataclass
class HttpResponse:
    """What ``assert_contract`` reads of a response: status, body and the request it answered."""

    status_code: int
    content: bytes
    request: dict = field(default_factory=dict)

    def json(self):
        return json.loads(self.content)


def http(server, method: str, path: str, body=None, headers: dict | None = None) -> HttpResponse:
    """A request to the server process over the network, as a browser or SDK sends it (not the in-process
    test client: its events would then be published from the test's thread, where Playwright's loop runs)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(server.http + path, data=data, method=method)  # noqa: S310 - loopback
    request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    sent = {"REQUEST_METHOD": method, "PATH_INFO": path.split("?")[0]}
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            return HttpResponse(response.status, response.read(), sent)
    except urllib.error.HTTPError as error:
        return HttpResponse(error.code, error.read(), sent)


def inbox_tenant(features=None, quotas=None, **fields):
    return ready_tenant(features={**CHAT_FEATURES, **(features or {})}, quotas={**QUOTAS, **(quotas or {})}, **fields)


def staff(tenant, *, role=StaffRole.AGENT, **fields):
    """A staff member whose password is ``DEFAULT_PASSWORD``."""
    return make_agent(tenant, role=role, **fields)


def open_inbox(page, server, tenant, agent):
    page.goto(f"{server.http}/inbox/?workspace={tenant.slug}&username={agent.username}")
    expect(page.locator("#sign-in")).to_be_visible(timeout=WAIT_MS)


def sign_in(page, server, tenant, agent, password=DEFAULT_PASSWORD):
    """Signs in through the form and waits until the gateway socket is live."""
    open_inbox(page, server, tenant, agent)
    page.fill("#password", password)
    page.click("#sign-in-form button[type=submit]")
    expect(page.locator("#app")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_test_id("connection")).to_have_text("Live", timeout=WAIT_MS)


def row(page, conversation_id):
    return page.locator(f'li[data-conversation-id="{conversation_id}"]')
