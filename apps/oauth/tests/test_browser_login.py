"""End to end in a real browser: sign-in page -> consent page -> redirect to a loopback callback -> code exchange.

Debian's chromium through Playwright (the root ``chromium_page`` fixture); the app's callback is a real
HTTP server on 127.0.0.1 that records what the browser brought back.
"""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from apps.oauth.tests.factories import make_client, pkce_pair
from apps.tenants.tests.factories import DEFAULT_PASSWORD, OwnerFactory, TenantFactory


class _Callback(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path == "/callback":  # not the browser's /favicon.ico
            self.received.append({k: v[0] for k, v in parse_qs(url.query).items()})
        body = b"<!doctype html><title>Signed in</title><h1 id='done'>Back in the app</h1>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        return


@pytest.fixture
def callback_server():
    _Callback.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Callback)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/callback", _Callback.received
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_browser_signs_in_consents_and_the_app_exchanges_the_code(
    live_server, settings, chromium_page, callback_server
):
    settings.RINGNITY_PUBLIC_URL = live_server.url
    redirect_uri, received = callback_server
    owner = OwnerFactory(tenant=TenantFactory(slug="acme"), email="ada@acme.example.com")
    oauth_client, _secret = make_client(owner.tenant, client_type="public", redirect_uris=[redirect_uri])
    verifier, challenge = pkce_pair()
    query = {
        "response_type": "code",
        "client_id": oauth_client.client_id,
        "redirect_uri": redirect_uri,
        "scope": "openid profile email",
        "state": "browser-state",
        "nonce": "browser-nonce",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    page = chromium_page

    page.goto(f"{live_server.url}/api/oauth/authorize?{urlencode(query)}")
    page.fill("#email", owner.email)
    page.fill("#owner-password", DEFAULT_PASSWORD)
    page.click("button[name=signin][value=owner]")
    page.wait_for_selector("button[name=allow]")
    assert "See your e-mail address." in page.content()
    page.click("button[name=allow]")
    page.wait_for_selector("#done")
    assert page.url.startswith(redirect_uri)
    assert len(received) == 1
    returned = received[0]
    assert returned["state"] == "browser-state"
    assert returned["iss"] == live_server.url
    token = requests.post(
        f"{live_server.url}/api/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": returned["code"],
            "redirect_uri": redirect_uri,
            "client_id": oauth_client.client_id,
            "code_verifier": verifier,
        },
        headers={"Connection": "close"},  # no idle keep-alive thread (and its database connection) left behind
        timeout=10,
    )
    assert token.status_code == 200, token.text
    body = token.json()
    assert body["scope"] == "openid profile email"
    assert body["id_token"].count(".") == 2
