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


def require_chromium() -> str:
    """The chromium binary; fails under CI, skips elsewhere, when it is missing."""
    path = CHROMIUM_PATH if os.path.exists(CHROMIUM_PATH) else shutil.which("chromium")
    if path:
        return path
    missing(f"needs Debian's chromium (looked at {CHROMIUM_PATH}; apt-get install chromium, .ci/run does)")
    raise AssertionError("unreachable")
