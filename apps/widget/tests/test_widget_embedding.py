"""The widget on pages it does not control: a hostile customer page on another origin (CSS that resets
everything, a policy that allows only the widget's origin), and axe-core on the demo page with the widget
open. A screenshot of the widget goes to ``$DATA_DIR/screenshots/widget.png`` (the README's is a copy)."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from apps.realtime.tests.gateway import gateway_process
from ringnity.testing.axe import axe_violations
from ringnity.testing.browser import csp_violations, watch_csp
from ringnity.testing.servers import loopback_page

from .browser import (
    WAIT_MS,
    agent_says,
    bodies,
    conversation_of,
    demo_tenant,
    message,
    open_widget,
    visitor_says,
    wait_sent,
    widget,
)

pytestmark = pytest.mark.django_db(transaction=True)

HOSTILE_CSS = """
*, *::before, *::after { all: unset !important; }
html, body { display: block !important; background: #111 !important; color: #0f0 !important;
  font: 40px/3 monospace !important; }
ringnity-chat, div, section, button, textarea, form, p, ol, li {
  display: none !important; visibility: hidden !important; opacity: 0 !important;
  position: static !important; transform: scale(0) !important; width: 0 !important; height: 0 !important; }
:host, :host * { display: none !important; }
"""


@pytest.fixture(scope="module")
def gateway(django_db_setup):
    with gateway_process(static=True) as server:
        yield server


def _hostile_page(widget_origin: str, client_id: str) -> tuple[bytes, str]:
    """The page and its policy: the widget's origin only (its gateway socket named as such: chromium does not
    let an ``http:`` source cover ``ws:``), and the page's own style block by its hash."""
    digest = base64.b64encode(hashlib.sha256(HOSTILE_CSS.encode()).digest()).decode()
    socket = widget_origin.replace("http", "ws", 1)
    policy = (
        f"default-src {widget_origin}; connect-src {widget_origin} {socket}; style-src 'sha256-{digest}'; "
        "base-uri 'none'; object-src 'none'; form-action 'none'"
    )
    html = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>A hostile shop</title>"
        f"<style>{HOSTILE_CSS}</style></head><body><h1>Shop</h1><p>Everything must go.</p>"
        f"<script src='{widget_origin}/widget/v1.js' data-client-id='{client_id}' async></script></body></html>"
    )
    return html.encode(), policy


def test_the_widget_renders_and_works_inside_a_hostile_page_on_another_origin(gateway, chromium_page, assert_contract):
    """The customer's page is a loopback server on another port, opened as ``localhost``: another origin than the
    widget's ``127.0.0.1`` (both are the demo tenant's allowed domains)."""
    demo = demo_tenant()
    body, policy = _hostile_page(gateway.http, demo.client_id)
    page = chromium_page
    console = watch_csp(page)
    with loopback_page(body, "text/html; charset=utf-8", {"Content-Security-Policy": policy}) as port:
        page.goto(f"http://localhost:{port}/shop")
        _chat_inside_the_hostile_page(gateway, demo, page, assert_contract)
    assert csp_violations(page, console) == []


def _chat_inside_the_hostile_page(gateway, demo, page, assert_contract) -> None:
    launcher = page.get_by_test_id("rn-launcher")
    expect(launcher).to_be_visible(timeout=WAIT_MS)
    box = launcher.bounding_box()
    assert box["width"] >= 48
    assert box["height"] >= 48
    open_widget(page)
    panel = page.get_by_test_id("rn-panel").bounding_box()
    assert panel["width"] >= 300
    assert panel["height"] >= 300
    visitor_says(page, "Hello from a hostile page")
    wait_sent(page, "Hello from a hostile page")
    expect(widget(page)).to_have_attribute("data-live", "true", timeout=WAIT_MS)
    conversation = conversation_of(demo.tenant)
    agent_says(gateway, demo, conversation.public_id, "Welcome!", assert_contract)
    expect(message(page, "agent", "Welcome!")).to_be_visible(timeout=WAIT_MS)
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(17, 17, 17)"  # untouched host


def test_axe_finds_no_serious_or_critical_violation_and_the_keyboard_alone_chats(
    gateway, chromium_page, assert_contract
):
    demo = demo_tenant()
    page = chromium_page
    page.set_viewport_size({"width": 1100, "height": 760})
    page.goto(f"{gateway.http}/demo/")
    expect(page.get_by_test_id("rn-launcher")).to_be_visible(timeout=WAIT_MS)
    assert axe_violations(page) == []  # closed: the launcher only

    for _ in range(12):  # keyboard only: Tab to the launcher (the last thing on the page), Enter opens
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement?.shadowRoot?.activeElement?.dataset.testid") == "rn-launcher":
            break
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("rn-input")).to_be_focused(timeout=WAIT_MS)
    page.keyboard.type("Can I pay by invoice?")
    page.keyboard.press("Enter")
    wait_sent(page, "Can I pay by invoice?")
    conversation = conversation_of(demo.tenant)
    agent_says(gateway, demo, conversation.public_id, "Yes, for orders over 100 €.", assert_contract)
    expect(bodies(page, "agent")).to_have_text(["Yes, for orders over 100 €."], timeout=WAIT_MS)
    assert axe_violations(page) == []  # open, with a conversation

    shots = Path(settings.DATA_DIR) / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "widget.png"))

    page.keyboard.press("Escape")  # closes and gives the focus back to the launcher
    expect(page.get_by_test_id("rn-panel")).to_be_hidden()
    expect(page.get_by_test_id("rn-launcher")).to_be_focused()
