"""Settings and URLconf in one module for the drain test: production settings plus ``/slow``.

``/slow`` writes ``$DRAIN_DIR/entered`` and answers only once ``$DRAIN_DIR/release`` exists, so the
test can send SIGTERM while a request is certainly in flight.
"""

import os
import time
from pathlib import Path

from django.http import JsonResponse
from django.urls import path

from ringnity.settings import *  # noqa: F403

ROOT_URLCONF = "ringnity.tests.drain_site"


def slow(request):
    folder = Path(os.environ["DRAIN_DIR"])
    (folder / "entered").write_text("1")
    deadline = time.monotonic() + 120
    while not (folder / "release").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return JsonResponse({"finished": True, "padding": "x" * 100_000})


urlpatterns = [path("slow", slow)]
