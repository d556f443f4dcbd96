"""``/oauth/authorize``: sign-in page, consent page, and the redirect back with a code or an error.

One URL, server-rendered pages (``templates/oauth/``), no JavaScript. The flow, on every GET and on
the POSTs of its two forms (CSRF-checked, pages framed by nobody):

1. django-oauth-toolkit / oauthlib validate the request. An unknown client, a missing or not
   exactly registered ``redirect_uri`` → an error page, never a redirect. Every other problem
   (``unsupported_response_type``, PKCE, ``invalid_scope`` ...) → a redirect with ``error``,
   ``state`` and the RFC 9207 ``iss``.
2. No sign-in in this browser session, or one older than ``max_age``, or ``prompt=login`` → the
   sign-in page (``prompt=none`` → ``login_required`` on the redirect instead).
3. A user of another tenant than the client's → an error page.
4. Scopes: tenant-level scopes only for owners and admins (``scopes.scopes_for_user``).
5. Consent remembered for this user + client + scope set (and no ``prompt=consent``) → code at
   once; else the consent page (``prompt=none`` → ``consent_required``). ``allow`` → code (and
   the consent is remembered), ``deny`` → ``access_denied``.

The browser session of this page is its own (``oauth_*`` session keys), not a Django admin login.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit

from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from oauth2_provider.exceptions import FatalClientError, OAuthToolkitError
from oauth2_provider.oauth2_backends import OAuthLibCore
from oauth2_provider.views.mixins import OAuthLibMixin
from oauthlib.common import add_params_to_uri
from rest_framework.authentication import CSRFCheck

from apps.oauth import scopes as catalog
from apps.oauth import selectors, services, signin
from apps.oauth.api.protocol import OAUTH_ERRORS, TAGS, OAuthProtocolView
from apps.oauth.errors import OAuthProtocolError, oauth_error_response
from apps.oauth.models import OAuthClient
from apps.oauth.throttling import rate_exceeded
from apps.oauth.validators import user_may_sign_in
from apps.tenants.models import User
from ringnity.api.errors import ApiError
from ringnity.api.throttling import client_ip

SESSION_USER = "oauth_user_id"
SESSION_AUTH_TIME = "oauth_auth_time"
SESSION_HASH = "oauth_user_hash"
CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
_ORIGIN_SAFE = re.compile(r"^https?://[A-Za-z0-9.\-\[\]:]+$")
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",  # "no-referrer" makes chromium send "Origin: null", which CSRF refuses
}
_AUTHORIZE_PARAMETERS = [
    OpenApiParameter("response_type", OpenApiTypes.STR, required=True, enum=["code"]),
    OpenApiParameter("client_id", OpenApiTypes.STR, required=True),
    OpenApiParameter("redirect_uri", OpenApiTypes.URI, required=True),
    OpenApiParameter("scope", OpenApiTypes.STR, required=True),
    OpenApiParameter("state", OpenApiTypes.STR, required=True),
    OpenApiParameter("nonce", OpenApiTypes.STR),
    OpenApiParameter("code_challenge", OpenApiTypes.STR),
    OpenApiParameter("code_challenge_method", OpenApiTypes.STR, enum=["S256", "plain"]),
]


class QueryOnlyOAuthLibCore(OAuthLibCore):
    """The authorization request is the query string only: the forms' fields (password, CSRF token)
    never reach oauthlib, and cannot add or change a parameter of the request."""

    def extract_body(self, request):
        return []


def _csp(redirect_uri: str | None) -> str:
    """Forms post to this page only, whose answer may redirect to the client's (registered) redirect URI:
    browsers apply ``form-action`` to that redirect too, so its origin is allowed as well."""
    if not redirect_uri:
        return CSP
    parts = urlsplit(redirect_uri)
    origin = f"{parts.scheme}://{parts.netloc}"
    return f"{CSP} {origin}" if _ORIGIN_SAFE.match(origin) else CSP


def _page(request, template: str, context: dict, status: int = 200, headers: dict | None = None) -> HttpResponse:
    response = TemplateResponse(request, f"oauth/{template}", context, status=status)
    for name, value in {**PAGE_HEADERS, **(headers or {})}.items():
        response[name] = value
    response["Content-Security-Policy"] = _csp(context.get("redirect_uri"))
    return response.render()


def _wants_html(request) -> bool:
    return "text/html" in request.headers.get("Accept", "")


def _error_page(request, message: str, status: int = 400, error: str = "invalid_request") -> HttpResponse:
    """A page for people (browsers ask for ``text/html``); for any other caller the contract's ``OAuthError``
    JSON, the only 4XX body it documents."""
    if not _wants_html(request):
        return oauth_error_response(error, message, status=status)
    return _page(request, "error.html", {"message": message}, status=status)


def _with_iss(uri: str) -> str:
    return add_params_to_uri(uri, [("iss", selectors.issuer())])


def _redirect(uri: str) -> HttpResponse:
    response = HttpResponseRedirect(_with_iss(uri))
    response["Cache-Control"] = "no-store"
    return response


def _error_redirect(redirect_uri: str, error: str, state: str | None) -> HttpResponse:
    params = [("error", error)] + ([("state", state)] if state else [])
    return _redirect(add_params_to_uri(redirect_uri, params))


def session_user(request) -> tuple[User | None, float | None]:
    """The user signed in on these pages, and when; None when absent, disabled or its password changed."""
    user_id = request.session.get(SESSION_USER)
    if not user_id:
        return None, None
    auth_time = request.session.get(SESSION_AUTH_TIME)
    user = User.objects.select_related("tenant").filter(pk=user_id).first()
    if (
        user is None
        or not isinstance(auth_time, (int, float))
        or not user_may_sign_in(user)
        or request.session.get(SESSION_HASH) != user.get_session_auth_hash()
    ):
        return None, None
    return user, auth_time


def _fresh_enough(request, auth_time: float | None) -> bool:
    max_age = request.GET.get("max_age")
    if max_age is None:
        return True
    try:
        limit = int(max_age)
    except ValueError:
        return True  # oauthlib has refused a malformed max_age already
    return auth_time is not None and int(time.time() - auth_time) <= limit


class AuthorizeView(OAuthLibMixin, OAuthProtocolView):
    oauthlib_backend_class = QueryOnlyOAuthLibCore

    def handle_exception(self, exc):
        """Malformed input (``refuse_malformed_input``) on the error page, never a redirect."""
        if isinstance(exc, OAuthProtocolError):
            return _error_page(self.request._request, exc.description, exc.status, error=exc.error)
        return super().handle_exception(exc)

    @extend_schema(
        operation_id="authorizeWithRingnity",
        tags=TAGS,
        summary="Start Login with Ringnity authorization.",
        description="Authorization Code Flow endpoint for CMS, CRM, web apps, and mobile apps using PKCE.",
        parameters=_AUTHORIZE_PARAMETERS,
        responses={302: OpenApiResponse(description="Redirect back to the registered callback URL."), **OAUTH_ERRORS},
    )
    def get(self, request):
        return self._authorize(request._request, decision=None)

    @extend_schema(exclude=True)
    def post(self, request):
        django_request = request._request
        check = CSRFCheck(lambda _request: None)
        check.process_request(django_request)
        if check.process_view(django_request, None, (), {}) is not None:
            return _error_page(django_request, "The form expired or was sent from another site; start again.", 403)
        if "signin" in django_request.POST:
            return self._authorize(django_request, decision="signin")
        decision = "allow" if "allow" in django_request.POST else "deny" if "deny" in django_request.POST else None
        return self._authorize(django_request, decision=decision)

    # --- the flow ------------------------------------------------------------------------

    def _authorize(self, request, decision: str | None) -> HttpResponse:
        if not request.GET.get("redirect_uri") or not request.GET.get("client_id"):
            return _error_page(request, "This sign-in link is incomplete (client_id and redirect_uri are required).")
        try:
            scopes, credentials = self.validate_authorization_request(request)
        except FatalClientError as error:
            return _error_page(request, f"This sign-in link is not valid: {error.oauthlib_error.description}")
        except OAuthToolkitError as error:
            return _redirect(error.oauthlib_error.in_uri(error.oauthlib_error.redirect_uri))
        client = OAuthClient.objects.select_related("tenant").get(client_id=credentials["client_id"])
        redirect_uri, state = credentials["redirect_uri"], credentials.get("state")
        prompts = set(request.GET.get("prompt", "").split())

        if decision == "signin":
            return self._sign_in(request, client)
        user, auth_time = session_user(request)
        if user is None or not _fresh_enough(request, auth_time) or "login" in prompts:
            if "none" in prompts:
                return _error_redirect(redirect_uri, "login_required", state)
            return self._sign_in_page(request, client)
        if user.tenant_id != client.tenant_id:
            message = f"{client.name} belongs to another workspace; you cannot sign in to it."
            return _error_page(request, message, 403, error="unauthorized_client")

        granted = catalog.scopes_for_user(scopes, user)
        if not granted:
            return _error_redirect(redirect_uri, "access_denied", state)
        remembered = "consent" not in prompts and services.consent_remembered(user=user, client=client, scopes=granted)
        if decision == "deny":
            return _error_redirect(redirect_uri, "access_denied", state)
        if decision != "allow" and not remembered:
            if "none" in prompts:
                return _error_redirect(redirect_uri, "consent_required", state)
            return self._consent_page(request, client, user, scopes, granted)
        if decision == "allow":
            services.consent_remember(user=user, client=client, scopes=granted)
        return self._issue(request, user, auth_time, granted, credentials)

    def _issue(self, request, user, auth_time, granted, credentials) -> HttpResponse:
        request.user = user
        credentials = {k: v for k, v in credentials.items() if k != "request"}
        if isinstance(credentials.get("ui_locales"), list):
            credentials["ui_locales"] = " ".join(credentials["ui_locales"])
        credentials["auth_time"] = datetime.fromtimestamp(auth_time, tz=UTC)
        try:
            uri, _headers, _body, _status = self.create_authorization_response(
                request=request, scopes=" ".join(granted), credentials=credentials, allow=True
            )
        except FatalClientError as error:
            return _error_page(request, f"This sign-in link is not valid: {error.oauthlib_error.description}")
        except OAuthToolkitError as error:
            return _redirect(error.oauthlib_error.in_uri(error.oauthlib_error.redirect_uri))
        return _redirect(uri)

    # --- pages ---------------------------------------------------------------------------

    def _sign_in_page(self, request, client, *, error: str = "", status: int = 200, headers=None, kind: str = ""):
        context = {
            "client": client,
            "error": error,
            "kind": kind,
            "values": request.POST if kind else {},
            "redirect_uri": request.GET.get("redirect_uri"),
        }
        return _page(request, "signin.html", context, status=status, headers=headers)

    def _consent_page(self, request, client, user, requested, granted) -> HttpResponse:
        withheld = [catalog.BY_SCOPE[scope] for scope in requested if scope not in granted]
        context = {
            "client": client,
            "user": user,
            "scopes": [catalog.BY_SCOPE[scope] for scope in granted],
            "withheld": withheld,
            "redirect_uri": request.GET.get("redirect_uri"),
        }
        return _page(request, "consent.html", context)

    def _sign_in(self, request, client) -> HttpResponse:
        kind = request.POST.get("signin")
        ip = client_ip(request)
        wait = rate_exceeded("signin", ip=ip, client_id=client.client_id)
        if wait is not None:
            message = "Too many sign-in attempts; retry later."
            return self._sign_in_page(request, client, error=message, status=429, headers={"Retry-After": str(wait)})
        try:
            if kind == "owner":
                user = signin.owner_authenticate(
                    email=request.POST.get("email", ""), password=request.POST.get("password", ""), ip=ip
                )
            elif kind == "workspace":
                user = signin.workspace_sign_in(
                    tenant_slug=request.POST.get("tenant", ""),
                    username=request.POST.get("username", ""),
                    password=request.POST.get("password", ""),
                    ip=ip,
                )
            else:
                return self._sign_in_page(request, client, error="Choose how to sign in.", status=400)
        except ApiError as exc:
            return self._sign_in_page(
                request, client, error=exc.message, status=exc.status, headers=exc.headers, kind=kind
            )
        request.session.cycle_key()  # no session fixation across the sign-in
        request.session[SESSION_USER] = user.pk
        request.session[SESSION_AUTH_TIME] = time.time()
        request.session[SESSION_HASH] = user.get_session_auth_hash()
        query = {k: v for k, v in request.GET.items() if k != "prompt" or v != "login"}
        return HttpResponseRedirect(f"{request.path}?{urlencode(query)}", status=303)
