"""``/``: a small landing page with where to go next (``/api`` itself is the API's JSON 404)."""

import re
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from apps.platform.demo import DEMO_AGENTS, DEMO_PASSWORD, DEMO_SLUG

README = Path(__file__).resolve().parent.parent / "README.md"
REALTIME_CONTRACT = Path(__file__).resolve().parent.parent / "docs" / "contract" / "ringnity-realtime.asyncapi.yaml"

LINKS = {
    "docs": "/api/docs/",
    "redoc": "/api/redoc/",
    "schema": "/api/schema/",
    "realtime": "/api/docs/realtime.asyncapi.yaml",
    "console": "/admin/",
    "health": "/api/sdk/health",
    "demo": "/demo/",  # DEBUG only (apps.platform.demo_page)
}


@lru_cache(maxsize=1)
def quick_start() -> str:
    """The README's "Quick start" section (without its heading), shown on the landing page."""
    try:
        text = README.read_text()
    except OSError:
        return ""
    match = re.search(r"^## Quick start\n(.*?)(?=^## |\Z)", text, flags=re.MULTILINE | re.DOTALL)
    return match.group(1).strip() if match else ""


def inbox_link(*, debug: bool) -> tuple[str, str]:
    """``/inbox/`` and, on a development server (the demo of ``make run``), the demo agent's login."""
    if not debug:
        return "/inbox/", "agents sign in with their workspace login"
    agent = DEMO_AGENTS[0]
    return f"/inbox/?workspace={DEMO_SLUG}&username={agent}", f"demo agent {agent} / {DEMO_PASSWORD}"


@require_safe
def landing(request):
    base = request.build_absolute_uri("/").rstrip("/")
    inbox, inbox_login = inbox_link(debug=settings.DEBUG)
    return render(
        request,
        "landing/index.html",
        {
            "base": base,
            "links": {**LINKS, "inbox": inbox},
            "inbox_login": inbox_login,
            "quick_start": quick_start(),
            "debug": settings.DEBUG,
        },
    )


@require_safe
def realtime_contract(request):
    """The realtime gateway's protocol (AsyncAPI 3.0), served beside the OpenAPI docs."""
    return HttpResponse(REALTIME_CONTRACT.read_bytes(), content_type="application/yaml; charset=utf-8")
