"""``/static/calls/rtc.js``, the call media module: served to any origin as a JavaScript module, and two of
its peers connect audio in chromium with fake media when their signalling frames are passed between them."""

from __future__ import annotations

import urllib.request

import pytest

from ringnity.testing.servers import loopback_page

from .gateway import gateway_process

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
MODULE = "/static/calls/rtc.js"

#: A caller and a callee in one page; each one's frames reach the other as the gateway relays them
#: (with a ``sender``), asynchronously. Resolves with what each side saw.
LOOPBACK = """
async (moduleUrl) => {
  const { createCallPeer } = await import(moduleUrl);
  const seen = { caller: [], callee: [], frames: [] };
  const peers = {};
  const relay = (from, to) => (frame) => {
    seen.frames.push(frame.type);
    const sender = { kind: from === 'caller' ? 'visitor' : 'agent', id: from };
    setTimeout(() => peers[to].handleFrame({ ...frame, sender }), 5);
  };
  const remote = {};
  for (const [role, other] of [['caller', 'callee'], ['callee', 'caller']]) {
    peers[role] = createCallPeer({
      send: relay(role, other), callSessionId: 'call_test', role,
      onState: (state) => seen[role].push(state),
      onRemoteStream: (stream) => { remote[role] = stream; },
    });
  }
  window.peers = peers;
  await peers.caller.start();
  await new Promise((resolve) => setTimeout(resolve, 100));
  await peers.callee.answer();
  const deadline = Date.now() + 20000;
  while (Date.now() < deadline && !(peers.caller.state === 'connected' && peers.callee.state === 'connected')) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  seen.remoteAudio = Object.fromEntries(Object.entries(remote).map(([role, s]) => [role, s.getAudioTracks().length]));
  return seen;
}
"""


def test_rtc_js_is_an_es_module_any_origin_may_import(media_browser):
    with gateway_process(static=True) as server:
        with urllib.request.urlopen(server.http + MODULE, timeout=30) as response:  # noqa: S310 - loopback
            assert response.headers["Content-Type"].split(";")[0] == "text/javascript"
            assert response.headers["Access-Control-Allow-Origin"] == "*"
            assert b"export function createCallPeer" in response.read()

        page = media_browser.new_page()
        page.set_default_timeout(30_000)
        # Another origin on loopback (localhost: a secure context, as getUserMedia needs).
        with loopback_page(b"<!doctype html><title>A customer's page</title>") as port:
            page.goto(f"http://localhost:{port}/")
        seen = page.evaluate(LOOPBACK, server.http + MODULE)  # imported by a page of another origin
        assert seen["caller"][-1] == "connected", seen
        assert seen["callee"][-1] == "connected", seen
        assert seen["callee"][0] == "ringing"  # the offer came before answer()
        assert seen["remoteAudio"] == {"caller": 1, "callee": 1}
        assert {"call.offer", "call.answer", "call.ice"} <= set(seen["frames"])

        page.evaluate("window.peers.caller.hangup('done')")
        page.wait_for_function("window.peers.callee.state === 'ended'")
        assert page.evaluate("window.peers.caller.state") == "ended"
