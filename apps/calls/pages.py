"""``/call/join/<token>``: the page a call link opens (HTML for people, not an API operation).

``GET`` shows what the link is: which business (tenant), a voice or a video call, who invites, and
whether it can still be joined. A link that cannot is a page that says why, with its status:
unknown or forged 404; expired, revoked, already used or its conversation ended 410. ``GET`` changes
nothing (link previewers and mail scanners open links), so joining is the page's button, a
``POST`` (CSRF-checked): it uses the link up once (``link_services.call_link_join``) and answers the
page the browser joins from, carrying in ``data-*`` attributes the call session, a credential for it
(a visitor runtime token good for that call session only, 15 minutes) and the realtime gateway URL.
The media client that reads them is static JavaScript of its own (no inline script, no CDN: the
policy below allows scripts from this origin only).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods

from apps.calls import link_services
from apps.calls.link_services import CallJoin, CallLinkCheck, CallLinkState
from apps.calls.models import CallService
from apps.runtime.tokens import SESSION_HEADER
from ringnity.api.errors import ApiError

TEMPLATE = "calls/join.html"
STATUS_FOR_STATE = {
    CallLinkState.VALID: 200,
    CallLinkState.NOT_FOUND: 404,
    CallLinkState.EXPIRED: 410,
    CallLinkState.REVOKED: 410,
    CallLinkState.USED: 410,
    CallLinkState.ENDED: 410,
}
PAGE_HEADERS = {
    "Cache-Control": "no-store",  # the joined page carries a credential
    "Referrer-Policy": "same-origin",  # never the token-bearing URL to another site; "no-referrer" breaks CSRF
    "X-Robots-Tag": "noindex, nofollow",
}


def _policy() -> str:
    """Everything from this origin only, no inline script; the socket may go to the gateway's origin."""
    gateway = urlsplit(link_services.realtime_url())
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        f"connect-src 'self' {gateway.scheme}://{gateway.netloc}; media-src 'self' blob:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )


def _invitation(link) -> dict:
    conversation = link.conversation
    visitor = conversation.visitor
    agent = conversation.assigned_agent
    return {
        "tenant_name": link.tenant.name,
        "service_label": CallService(link.service).label,
        "inviter": visitor.name or "A visitor",
        "agent_name": agent.display_name if agent is not None else "",
        "expires_at": link.expires_at,
    }


def _page(request, context: dict, status: int) -> HttpResponse:
    response = TemplateResponse(request, TEMPLATE, context, status=status)
    for name, value in PAGE_HEADERS.items():
        response[name] = value
    response["Content-Security-Policy"] = _policy()
    return response.render()


def _checked(request, check: CallLinkCheck) -> HttpResponse:
    context = {"state": check.state.value}
    if check.link is not None:
        context.update(_invitation(check.link))
    return _page(request, context, STATUS_FOR_STATE[check.state])


def _joined(request, joined: CallJoin) -> HttpResponse:
    credential = joined.credential
    context = {
        "state": "joined",
        **_invitation(joined.link),
        "call": joined.call,
        "credential": credential.token,
        "credential_header": SESSION_HEADER,
        "credential_expires_at": credential.expires_at,
        "realtime_url": link_services.realtime_url(),
        "api_url": link_services.api_url(),
    }
    return _page(request, context, 200)


@require_http_methods(["GET", "HEAD", "POST"])
def call_join(request, token: str) -> HttpResponse:
    if request.method != "POST":
        return _checked(request, link_services.call_link_resolve(token=token))
    try:
        joined = link_services.call_link_join(token=token)
    except ApiError as exc:  # the call service's refusal (plan, toggle, closed conversation): nothing was used
        return _page(request, {"state": "unavailable", "message": exc.message}, exc.status)
    if isinstance(joined, CallLinkCheck):
        return _checked(request, joined)
    return _joined(request, joined)
