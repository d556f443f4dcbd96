"""Dashboard Auth: owner sessions (ringnity.com) and workspace sessions (``{slug}.`` dashboards).

Refresh tokens are returned in the body and also set as httpOnly cookies
(``ownerRefreshToken`` / ``workspaceRefreshToken``: Secure outside DEBUG,
SameSite=Lax, path ``/api/auth/`` so no other route ever receives them).
Refresh and logout take the token from the body first, else from the cookie.
SameSite=Lax keeps the cookie off cross-site POSTs, which is what makes the
cookie-authenticated refresh safe without a CSRF token.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from apps.identity import services as auth_services
from apps.identity.api import serializers as s
from apps.identity.authentication import OwnerJWTAuthentication
from apps.identity.sessions import SessionScope, session_refresh, session_revoke
from ringnity.api.errors import ApiError, validation_failed
from ringnity.api.exceptions import error_response, flatten_errors
from ringnity.api.principal import PrincipalKind
from ringnity.api.throttling import client_ip
from ringnity.api.views import PublicAPIView, TenantAPIView, validate_input

OWNER_COOKIE = "ownerRefreshToken"
WORKSPACE_COOKIE = "workspaceRefreshToken"
AUTH_COOKIE_PATH = "/api/auth/"
TENANT_HEADER = "X-Ringnity-Tenant"
TAGS = ["Dashboard Auth"]
_OK = {"type": "object", "additionalProperties": True}


def set_refresh_cookie(response: Response, name: str, refresh_token: str) -> Response:
    response.set_cookie(
        name,
        refresh_token,
        max_age=int(settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"].total_seconds()),
        path=AUTH_COOKIE_PATH,
        secure=not settings.DEBUG,
        httponly=True,
        samesite="Lax",
    )
    return response


def clear_refresh_cookie(response: Response, name: str) -> Response:
    response.delete_cookie(name, path=AUTH_COOKIE_PATH, samesite="Lax")
    return response


def _presented_refresh_token(request, cookie_name: str) -> str:
    data = validate_input(s.RefreshTokenInput, request.data)
    return data.get("refreshToken") or request.COOKIES.get(cookie_name, "")


class _RefreshView(PublicAPIView):
    scope: SessionScope
    cookie_name: str

    def refresh(self, request, build):
        try:
            tokens = session_refresh(
                refresh_token=_presented_refresh_token(request, self.cookie_name), scope=self.scope
            )
        except ApiError as exc:
            # A refused refresh token is useless: drop the cookie with the error.
            return clear_refresh_cookie(error_response(exc), self.cookie_name)
        return set_refresh_cookie(Response(build(tokens)), self.cookie_name, tokens.refresh)

    def logout(self, request):
        session_revoke(refresh_token=_presented_refresh_token(request, self.cookie_name), scope=self.scope)
        return clear_refresh_cookie(Response({}), self.cookie_name)


# --- Owner ------------------------------------------------------------------


class OwnerLoginView(PublicAPIView):
    @extend_schema(
        operation_id="loginOwner",
        tags=TAGS,
        summary="Sign in a tenant owner on ringnity.com.",
        request=s.OwnerLoginInput,
        responses={200: s.OwnerSessionOutput},
    )
    def post(self, request):
        data = validate_input(s.OwnerLoginInput, request.data)
        tokens = auth_services.owner_login(email=data["email"], password=data["password"], ip=client_ip(request))
        return set_refresh_cookie(Response(s.owner_session_data(tokens)), OWNER_COOKIE, tokens.refresh)


class OwnerGoogleLoginView(PublicAPIView):
    @extend_schema(
        operation_id="loginOwnerWithGoogle",
        tags=TAGS,
        summary="Sign in a tenant owner with Google Identity.",
        request=s.OwnerGoogleLoginInput,
        responses={200: s.OwnerGoogleLoginOutput},
    )
    def post(self, request):
        data = validate_input(s.OwnerGoogleLoginInput, request.data)
        result = auth_services.owner_login_with_google(id_token=data["idToken"], ip=client_ip(request))
        if result.tokens is None:
            body = {"requiresRegistration": True, "googleProfile": result.identity.profile()}
            return Response(s.OwnerGoogleLoginOutput(body).data)
        body = {"requiresRegistration": False, **s.owner_session_data(result.tokens)}
        return set_refresh_cookie(Response(s.OwnerGoogleLoginOutput(body).data), OWNER_COOKIE, result.tokens.refresh)


class OwnerMeView(TenantAPIView):
    authentication_classes = [OwnerJWTAuthentication]
    accepted_principals = {PrincipalKind.OWNER}

    @extend_schema(
        operation_id="getOwnerSession",
        tags=TAGS,
        summary="Read the current owner session profile.",
        responses={200: s.OwnerMeOutput},
    )
    def get(self, request):
        return Response(s.owner_profile_data(self.principal.user))


class OwnerRefreshView(_RefreshView):
    scope = SessionScope.OWNER
    cookie_name = OWNER_COOKIE

    @extend_schema(
        operation_id="refreshOwnerSession",
        tags=TAGS,
        summary="Rotate an owner refresh token (body, else the ownerRefreshToken cookie).",
        request=s.RefreshTokenInput,
        responses={200: s.OwnerRefreshOutput},
    )
    def post(self, request):
        return self.refresh(request, lambda t: {**s.token_pair_data(t), "sessionToken": t.access})


class OwnerLogoutView(_RefreshView):
    scope = SessionScope.OWNER
    cookie_name = OWNER_COOKIE

    @extend_schema(
        operation_id="logoutOwner",
        tags=TAGS,
        summary="Revoke the owner refresh token and clear owner auth cookies.",
        request=s.RefreshTokenInput,
        responses={200: _OK},
    )
    def post(self, request):
        return self.logout(request)


# --- Workspace --------------------------------------------------------------


class WorkspaceEntryTokenView(TenantAPIView):
    authentication_classes = [OwnerJWTAuthentication]
    accepted_principals = {PrincipalKind.OWNER}

    @extend_schema(
        operation_id="createWorkspaceEntryToken",
        tags=TAGS,
        summary="Create a one-time workspace auto-login token from an owner token.",
        request=None,
        responses={200: s.WorkspaceEntryTokenOutput},
    )
    def post(self, request):
        token, _entry = auth_services.workspace_entry_token_create(owner=self.principal.user)
        return Response(
            {
                "autoLoginToken": token,
                "dashboardUrl": auth_services.workspace_auto_login_url(self.tenant, token),
                "expiresIn": int(auth_services.ENTRY_TOKEN_LIFETIME.total_seconds()),
            }
        )


def _workspace_slug_hint(request) -> str:
    """The workspace named by the host or the dev header; "" when neither names one."""
    host_slug = auth_services.workspace_slug_from_host(request.get_host())
    return host_slug or request.headers.get(TENANT_HEADER, "").strip().lower()


class WorkspaceLoginView(PublicAPIView):
    @extend_schema(
        operation_id="loginWorkspace",
        tags=TAGS,
        summary="Sign in a workspace user; the workspace comes from the host or X-Ringnity-Tenant.",
        request=s.WorkspaceLoginInput,
        parameters=[OpenApiParameter(TENANT_HEADER, str, OpenApiParameter.HEADER, required=False)],
        responses={200: s.WorkspaceSessionOutput},
    )
    def post(self, request):
        serializer = s.WorkspaceLoginInput(data=request.data)
        details = [] if serializer.is_valid() else flatten_errors(serializer.errors)
        try:
            tenant, slug = auth_services.workspace_tenant_resolve(
                host=request.get_host(), header_slug=request.headers.get(TENANT_HEADER, "")
            )
        except ApiError as exc:
            details.extend(exc.details)
        if details:  # every bad field at once: the body's and the missing workspace
            raise validation_failed(details)
        data = serializer.validated_data
        tokens = auth_services.workspace_login(
            tenant=tenant, tenant_slug=slug, username=data["username"], password=data["password"], ip=client_ip(request)
        )
        return set_refresh_cookie(Response(s.workspace_session_data(tokens)), WORKSPACE_COOKIE, tokens.refresh)


class WorkspaceAutoLoginView(PublicAPIView):
    @extend_schema(
        operation_id="autoLoginWorkspace",
        tags=TAGS,
        summary="Exchange a one-time workspace entry token for a workspace session.",
        parameters=[OpenApiParameter("token", str, OpenApiParameter.QUERY, required=True)],
        responses={200: s.WorkspaceSessionOutput},
    )
    def get(self, request):
        data = validate_input(s.AutoLoginQuery, request.query_params)
        tokens = auth_services.workspace_entry_token_redeem(
            token=data["token"], tenant_slug=_workspace_slug_hint(request), ip=client_ip(request)
        )
        return set_refresh_cookie(Response(s.workspace_session_data(tokens)), WORKSPACE_COOKIE, tokens.refresh)


class WorkspaceRefreshView(_RefreshView):
    scope = SessionScope.WORKSPACE
    cookie_name = WORKSPACE_COOKIE

    @extend_schema(
        operation_id="refreshWorkspaceSession",
        tags=TAGS,
        summary="Rotate a workspace refresh token (body, else the workspaceRefreshToken cookie).",
        request=s.RefreshTokenInput,
        responses={200: s.WorkspaceRefreshOutput},
    )
    def post(self, request):
        return self.refresh(request, s.token_pair_data)


class WorkspaceLogoutView(_RefreshView):
    scope = SessionScope.WORKSPACE
    cookie_name = WORKSPACE_COOKIE

    @extend_schema(
        operation_id="logoutWorkspace",
        tags=TAGS,
        summary="Revoke a workspace refresh token and clear the workspace cookie.",
        request=s.RefreshTokenInput,
        responses={200: _OK},
    )
    def post(self, request):
        return self.logout(request)


urlpatterns = [
    path("auth/owner-login", OwnerLoginView.as_view(), name="auth-owner-login"),
    path("auth/owner-google-login", OwnerGoogleLoginView.as_view(), name="auth-owner-google-login"),
    path("auth/owner-me", OwnerMeView.as_view(), name="auth-owner-me"),
    path("auth/owner-refresh", OwnerRefreshView.as_view(), name="auth-owner-refresh"),
    path("auth/owner-logout", OwnerLogoutView.as_view(), name="auth-owner-logout"),
    path("auth/workspace-entry-token", WorkspaceEntryTokenView.as_view(), name="auth-workspace-entry-token"),
    path("auth/workspace-login", WorkspaceLoginView.as_view(), name="auth-workspace-login"),
    path("auth/workspace-auto-login", WorkspaceAutoLoginView.as_view(), name="auth-workspace-auto-login"),
    path("auth/workspace-refresh", WorkspaceRefreshView.as_view(), name="auth-workspace-refresh"),
    path("auth/workspace-logout", WorkspaceLogoutView.as_view(), name="auth-workspace-logout"),
]
