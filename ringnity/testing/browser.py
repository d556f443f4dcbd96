"""Headless Debian chromium driven by Playwright's Python package (no browser download).

Flags are the ones this machine needs: no sandbox as root, and no background
networking (the network is closed; chromium would keep trying Google's hosts).
"""

import os
import shutil

from ringnity.testing.ci import missing

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

#: Chromium's fake camera and microphone (a test pattern and a tone) and no permission prompt: WebRTC calls.
FAKE_MEDIA_ARGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


def require_chromium() -> str:
    """The chromium binary; fails under CI, skips elsewhere, when it is missing."""
    path = CHROMIUM_PATH if os.path.exists(CHROMIUM_PATH) else shutil.which("chromium")
    if path:
        return path
    missing(f"needs Debian's chromium (looked at {CHROMIUM_PATH}; apt-get install chromium, .ci/run does)")
    raise AssertionError("unreachable")


#: Chromium reports every blocked script, style, worker or request as a ``securitypolicyviolation`` event.
_RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', e => {
  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


def watch_csp(page) -> list[str]:
    """Records the page's Content-Security-Policy violations from now on; the console's reports go into the
    returned list (``csp_violations`` reads both)."""
    messages: list[str] = []
    page.on("console", lambda msg: messages.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.add_init_script(_RECORD_CSP_VIOLATIONS)
    return messages


def csp_violations(page, messages: list[str]) -> list[str]:
    return messages + page.evaluate("window.__cspViolations")
