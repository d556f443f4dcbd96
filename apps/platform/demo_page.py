"""``/demo/``: a page of a pretend customer website with the chat widget embedded for the demo tenant.

Served with DEBUG only and only for the demo tenant of ``make run`` (``apps.platform.demo``): 404 otherwise,
so a production server never shows it. Strict policy: this origin only, no inline script or style.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.template.response import TemplateResponse
from django.views.decorators.http import require_safe

from apps.platform.demo import DEMO_AGENTS, DEMO_SLUG
from apps.tenants.models import Tenant
from apps.widget.assets import languages


def _policy(request) -> str:
    socket = f"{'wss' if request.is_secure() else 'ws'}://{request.get_host()}"
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        f"connect-src 'self' {socket}; media-src 'self' blob:; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )


@require_safe
def demo_page(request):
    if not settings.DEBUG:
        raise Http404("The demo page is served with DEBUG only.")
    tenant = Tenant.objects.filter(slug=DEMO_SLUG, is_active=True).first()
    if tenant is None:
        raise Http404("No demo tenant: run make run (or manage.py seed_demo).")
    context = {
        "tenant": tenant,
        "base": request.build_absolute_uri("/").rstrip("/"),
        "agent": DEMO_AGENTS[0],
        "languages": languages(),
    }
    response = TemplateResponse(request, "demo/index.html", context)
    response["Content-Security-Policy"] = _policy(request)
    response["Cache-Control"] = "no-store"
    return response
