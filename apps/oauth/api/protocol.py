"""Login with Ringnity's protocol endpoints: discovery, JWKS, token, revoke, userinfo, tenant endpoints.

These answer in plain JSON (``JSONRenderer``, never the envelope renderer) and every error in the
contract's ``OAuthError`` shape. Token, revoke and userinfo are django-oauth-toolkit's OAuthLib
calls (``OAuthLibMixin``) behind DRF views, so the schema documents them.
"""

from __future__ import annotations

import base64
import binascii
import json
from urllib.parse import unquote_plus

from django.http import HttpResponse
from django.http.multipartparser import MultiPartParserError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from oauth2_provider.views.mixins import OAuthLibMixin
from rest_framework import exceptions as drf
from rest_framework.parsers import FormParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.oauth import keys, selectors, services
from apps.oauth.api import serializers as s
from apps.oauth.authentication import OAuthAccessTokenAuthentication
from apps.oauth.errors import OAuthProtocolError, oauth_error_response
from apps.oauth.throttling import rate_exceeded
from ringnity.api.errors import ApiError, ErrorCode
from ringnity.api.exceptions import flatten_errors
from ringnity.api.permissions import PUBLIC, PrincipalPermission
from ringnity.api.principal import PrincipalKind
from ringnity.api.renderers import EnvelopeJSONRenderer
from ringnity.api.schema import EnvelopeAutoSchema
from ringnity.api.throttling import client_ip
from ringnity.api.views import validate_input

TAGS = ["Login with Ringnity"]
OAUTH_ERRORS = {"4XX": OpenApiResponse(s.OAuthErrorOutput, description="OAuth2/OIDC error response.")}
_API_ERRORS = {
    ErrorCode.RATE_LIMITED: "temporarily_unavailable",
    ErrorCode.PERMISSION_DENIED: "insufficient_scope",
    ErrorCode.AUTH_REQUIRED: "invalid_token",
    ErrorCode.AUTH_TOKEN_INVALID: "invalid_token",
}


def oauth_error_for(exc) -> HttpResponse:
    """Any error of these views as an ``OAuthError`` answer."""
    if isinstance(exc, OAuthProtocolError):
        return oauth_error_response(exc.error, exc.description, status=exc.status, headers=exc.headers)
    if isinstance(exc, ApiError):
        error = _API_ERRORS.get(exc.code, "invalid_request")
        status = 409 if exc.code == ErrorCode.QUOTA_EXCEEDED else exc.status
        description = " ".join([exc.message, *exc.details])
        return oauth_error_response(error, description, status=status, headers=exc.headers)
    if isinstance(exc, (drf.NotAuthenticated, drf.AuthenticationFailed)):
        return oauth_error_response("invalid_token", "An OAuth access token is required.", status=401)
    if isinstance(exc, drf.PermissionDenied):
        return oauth_error_response("insufficient_scope", str(exc.detail), status=403)
    if isinstance(exc, drf.ValidationError):
        return oauth_error_response("invalid_request", " ".join(flatten_errors(exc.detail)), status=400)
    if isinstance(exc, drf.APIException):
        return oauth_error_response("invalid_request", str(exc.detail), status=exc.status_code)
    raise exc


FORM = "application/x-www-form-urlencoded"


def _basic_credentials(request) -> tuple[str, str] | None:
    """``(client_id, client_secret)`` of ``Authorization: Basic``, decoded as oauthlib does; None without."""
    scheme, _, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, _, secret = base64.b64decode(value).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return unquote_plus(client_id), unquote_plus(secret)


def refuse_malformed_input(request, *, form_body_only: bool) -> None:
    """The protocol's input rules, before anything reads a parameter (issue 22, finding 9).

    * ``form_body_only`` (token, revoke): a POST body must be ``application/x-www-form-urlencoded``, the only
      body the contract and RFC 6749 §4.1.3 / RFC 7009 §2.1 define; multipart or JSON is refused, so no
      multipart parser ever sees a token request.
    * A body that cannot be parsed is refused, never a 500.
    * NUL in any parameter (query, form, Basic credentials) is refused: no client id, code or token holds
      one, and PostgreSQL refuses it in a text value outright.
    """
    if form_body_only and request.method == "POST" and request.content_type != FORM:
        raise OAuthProtocolError("invalid_request", f"Send the request body as {FORM}.")
    try:
        parameters = [*request.GET.lists(), *request.POST.lists()]
    except MultiPartParserError as exc:
        raise OAuthProtocolError("invalid_request", "The request body cannot be parsed.") from exc
    bad = sorted(
        {
            "a parameter name" if "\x00" in name else name
            for name, values in parameters
            if "\x00" in name + "".join(values)
        }
    )
    if "\x00" in "".join(_basic_credentials(request) or ()):
        bad.append("Authorization")
    if bad:
        raise OAuthProtocolError("invalid_request", f"{', '.join(bad)}: must not contain NUL characters.")


class OAuthProtocolView(APIView):
    renderer_classes = [JSONRenderer]
    authentication_classes: list = []
    accepted_principals = PUBLIC
    #: Token and revoke take a form-urlencoded body only (``refuse_malformed_input``).
    form_body_only = False

    def initial(self, request, *args, **kwargs):
        refuse_malformed_input(request._request, form_body_only=self.form_body_only)
        super().initial(request, *args, **kwargs)

    def handle_exception(self, exc):
        if isinstance(exc, (OAuthProtocolError, ApiError, drf.APIException)):
            return oauth_error_for(exc)
        return super().handle_exception(exc)


def _passthrough(body: str, status: int, headers: dict) -> HttpResponse:
    response = HttpResponse(body or "", status=status, content_type="application/json")
    for name, value in headers.items():
        response[name] = value
    response["Cache-Control"] = "no-store"
    return response


def _client_id_of(request) -> str:
    """The client named by Basic auth or the form body (for the per-client rate limit only)."""
    if request.META.get("HTTP_AUTHORIZATION", "").lower().startswith("basic "):
        return (_basic_credentials(request) or ("", ""))[0]
    return request.POST.get("client_id", "")


class OpenIdConfigurationView(OAuthProtocolView):
    @extend_schema(
        operation_id="getOpenIdConfiguration",
        tags=TAGS,
        summary="Read OpenID Connect discovery metadata.",
        description="Root-level discovery document for apps that implement Login with Ringnity.",
        responses={200: s.OpenIdConfigurationOutput},
    )
    def get(self, request):
        response = Response(selectors.openid_configuration())
        response["Access-Control-Allow-Origin"] = "*"
        return response


@extend_schema(exclude=True)
class RootOpenIdConfigurationView(OpenIdConfigurationView):
    """The same document at the site root (``/.well-known/openid-configuration``), as OIDC discovery expects."""


class JwksView(OAuthProtocolView):
    @extend_schema(
        operation_id="getRingnityOAuthJwks",
        tags=TAGS,
        summary="Read public keys for ID token verification.",
        responses={200: s.JwksOutput},
    )
    def get(self, request):
        response = Response(keys.jwks())
        response["Access-Control-Allow-Origin"] = "*"
        response["Cache-Control"] = "public, max-age=300"
        return response


class TokenView(OAuthLibMixin, OAuthProtocolView):
    parser_classes = [FormParser]
    form_body_only = True

    @extend_schema(
        operation_id="exchangeRingnityOAuthToken",
        tags=TAGS,
        summary="Exchange authorization code or refresh token.",
        request={"application/x-www-form-urlencoded": s.OAuthTokenInput},
        responses={200: s.OAuthTokenOutput, **OAUTH_ERRORS},
    )
    def post(self, request):
        django_request = request._request
        wait = rate_exceeded("token", ip=client_ip(django_request), client_id=_client_id_of(django_request))
        if wait is not None:
            raise OAuthProtocolError(
                "temporarily_unavailable",
                "Too many token requests; retry later.",
                status=429,
                headers={"Retry-After": str(wait)},
            )
        _url, headers, body, status = self.create_token_response(django_request)
        return _passthrough(body, status, headers)


class RevokeView(OAuthLibMixin, OAuthProtocolView):
    parser_classes = [FormParser]
    form_body_only = True

    @extend_schema(
        operation_id="revokeRingnityOAuthToken",
        tags=TAGS,
        summary="Revoke an OAuth refresh token or access token.",
        request={"application/x-www-form-urlencoded": s.OAuthRevokeInput},
        responses={200: OpenApiResponse(description="Token revoke request accepted."), **OAUTH_ERRORS},
    )
    def post(self, request):
        _url, headers, body, status = self.create_revocation_response(request._request)
        if status == 200:  # RFC 7009: also for unknown tokens
            return _passthrough(json.dumps({"success": True}), 200, headers)
        return _passthrough(body, status, headers)


class UserInfoView(OAuthLibMixin, OAuthProtocolView):
    """The token is checked twice: by the scheme's authentication class, then by oauthlib for the claims."""

    authentication_classes = [OAuthAccessTokenAuthentication]
    permission_classes = [PrincipalPermission]
    accepted_principals = {PrincipalKind.OAUTH}

    @extend_schema(
        operation_id="getRingnityOAuthUserInfo",
        tags=TAGS,
        summary="Read OIDC user profile claims.",
        responses={200: s.OAuthUserInfoOutput, **OAUTH_ERRORS},
    )
    def get(self, request):
        _url, headers, body, status = self.create_userinfo_response(request._request)
        return _passthrough(body, status, headers)


class OAuthErrorsAutoSchema(EnvelopeAutoSchema):
    """Success in the envelope, but every error in the OAuth shape: the envelope's per-status error
    answers are dropped and the declared ``4XX`` ``OAuthError`` stays."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        return {code: body for code, body in responses.items() if not (str(code).isdigit() and int(code) >= 400)}


class OAuthTenantView(OAuthProtocolView):
    """Tenant endpoints for OAuth apps: success in the envelope, errors in the OAuth shape."""

    renderer_classes = [EnvelopeJSONRenderer]
    schema = OAuthErrorsAutoSchema()
    authentication_classes = [OAuthAccessTokenAuthentication]
    permission_classes = [PrincipalPermission]
    accepted_principals = {PrincipalKind.OAUTH}
    any_scope: frozenset[str] = frozenset()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not (request.auth.scopes & self.any_scope):
            raise OAuthProtocolError(
                "insufficient_scope",
                f"The access token needs one of these scopes: {', '.join(sorted(self.any_scope))}.",
                status=403,
            )


class WidgetKeyView(OAuthTenantView):
    any_scope = frozenset({"developer.read", "sdk.keys.read"})

    @extend_schema(
        operation_id="getRingnityOAuthWidgetKey",
        tags=TAGS,
        summary="Read the public Website widget install key for the OAuth tenant.",
        description="Requires an OAuth access token with `developer.read` or `sdk.keys.read`. The returned key "
        "is used for direct visitor app links, WordPress auto widget installs, and the universal widget script.",
        responses={200: s.OAuthWidgetKeyOutput, **OAUTH_ERRORS},
    )
    def get(self, request):
        return Response(selectors.widget_key(tenant=request.auth.tenant))


class AllowedDomainView(OAuthTenantView):
    any_scope = frozenset({"tenant.domains.write"})

    @extend_schema(
        operation_id="addRingnityOAuthAllowedDomain",
        tags=TAGS,
        summary="Add one allowed Website widget domain for the OAuth tenant.",
        description="Requires an OAuth access token with `tenant.domains.write`. The backend enforces the tenant "
        "plan quota `allowed_domains`.",
        request=s.OAuthAddAllowedDomainInput,
        responses={200: s.OAuthWidgetKeyOutput, **OAUTH_ERRORS},
    )
    def post(self, request):
        tenant = request.auth.tenant
        data = validate_input(s.OAuthAddAllowedDomainInput, request.data)
        result = services.oauth_allowed_domain_add(tenant=tenant, domain=data["domain"])
        return Response(
            {
                **selectors.widget_key(tenant=tenant),
                "domain": result["domain"],
                "domainAdded": result["added"],
                "domainAlreadyAllowed": result["already_allowed"],
            }
        )
