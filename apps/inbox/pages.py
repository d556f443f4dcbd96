"""``/inbox/``: the agent inbox, one server-rendered page whose scripts talk only to the public API.

The page holds no data and no credential: its ES modules (``static/inbox/``) sign in with
``loginWorkspace``, trade that session for an agent runtime token (``createWorkspaceAgentToken``) and
then use the Agent CRM routes (``/api/agent-sdk/*``) and the realtime gateway, exactly as any other
client would. Every rule (who sees what, who may accept, close or reopen) is the server's: the page
shows the API's answers and errors. The policy allows scripts and styles from this origin only and
the socket to this host's gateway; nothing inline, no CDN.
"""

from __future__ import annotations

from django.conf import settings
from django.template.response import TemplateResponse
from django.views.decorators.http import require_safe

from apps.calls.link_services import REALTIME_PATH

TEMPLATE = "inbox/index.html"
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
    "X-Robots-Tag": "noindex, nofollow",
}


def _realtime_url(request) -> str:
    """The gateway on this host (the README's deployment: one host, the proxy passes the upgrade)."""
    scheme = "wss" if request.is_secure() else "ws"
    return f"{scheme}://{request.get_host()}{REALTIME_PATH}"


def _policy(realtime_url: str) -> str:
    origin = realtime_url.split("/", 3)[:3]
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self' {'/'.join(origin)}; media-src 'self' blob:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )


@require_safe
def inbox(request):
    realtime_url = _realtime_url(request)
    context = {
        "realtime_url": realtime_url,
        "api_url": "/api",
        # Local development names the workspace in a field (X-Ringnity-Tenant); production takes it from the host.
        "workspace_field": settings.RINGNITY_ALLOW_TENANT_HEADER,
        "workspace": request.GET.get("workspace", "")[:63],
        "username": request.GET.get("username", "")[:150],
    }
    response = TemplateResponse(request, TEMPLATE, context)
    for name, value in PAGE_HEADERS.items():
        response[name] = value
    response["Content-Security-Policy"] = _policy(realtime_url)
    return response.render()
