"""Public SDK runtime endpoints: health, bootstrap, session, device push tokens.

CORS: these routes are called from customers' web pages. A response allows exactly the
requesting ``Origin`` when it is on the tenant's allowed domains (``Vary: Origin`` always),
never ``*`` and never credentials (runtimes send their token in a header, not a cookie).
A preflight (``OPTIONS`` with ``Access-Control-Request-Method``) carries no body and no
token, so it is answered before authentication: for the tenant named by ``slug``/``apiKey``
in the query when there is one, else when the origin is on *some* active tenant's list —
the real request is then checked against its own tenant (and ``/sdk/session`` refuses a
foreign origin with 403 SDK_ORIGIN_NOT_ALLOWED).
"""

from django.http import HttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from apps.developer.api.serializers import TenantOutput
from apps.runtime import services as runtime_services
from apps.runtime.api.serializers import (
    DeviceResult,
    RegisterDeviceInput,
    RuntimeServiceCapabilityOutput,
    RuntimeSessionInput,
    RuntimeSessionOutput,
    UnregisterDeviceInput,
)
from apps.runtime.bootstrap import runtime_bootstrap, tenant_resolve_public
from apps.runtime.origins import origin_allowed
from apps.runtime.selectors import allowed_domains
from apps.runtime.tokens import DEVICES_WRITE, SESSION_HEADER, RuntimeBearerAuthentication
from apps.runtime.visitor_starts import anonymous_start_charge
from ringnity.api.errors import ApiError, ErrorCode, validation_failed
from ringnity.api.outputs import UTCDateTimeField, iso_utc
from ringnity.api.principal import RUNTIME_KINDS, PrincipalKind
from ringnity.api.throttling import client_ip
from ringnity.api.views import PublicAPIView, TenantAPIView, validate_input

CORS_MAX_AGE_SECONDS = 600
_ALLOW_HEADERS = f"Content-Type, {SESSION_HEADER}, X-Request-Id"


class RuntimeCorsMixin:
    """Per-tenant CORS for runtime routes. Views set ``self.cors_domains`` once they know the tenant."""

    cors_methods = "GET, OPTIONS"

    def dispatch(self, request, *args, **kwargs):
        self.cors_domains = None
        if request.method == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in request.META:
            return self._preflight(request)
        return super().dispatch(request, *args, **kwargs)

    def _preflight(self, request) -> HttpResponse:
        response = HttpResponse(status=204)
        patch_vary_headers(response, ["Origin"])
        origin = request.headers.get("Origin")
        slug, api_key = request.GET.get("slug"), request.GET.get("apiKey")
        if slug or api_key:
            try:
                tenant = tenant_resolve_public(slug=slug, api_key=api_key)
            except ApiError:
                allowed = False
            else:
                allowed = runtime_services.origin_allowed_for_tenant(tenant=tenant, origin=origin)
        else:
            allowed = runtime_services.origin_allowed_for_any_tenant(origin=origin)
        if allowed:
            response["Access-Control-Allow-Origin"] = origin
            response["Access-Control-Allow-Methods"] = self.cors_methods
            response["Access-Control-Allow-Headers"] = _ALLOW_HEADERS
            response["Access-Control-Max-Age"] = str(CORS_MAX_AGE_SECONDS)
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        patch_vary_headers(response, ["Origin"])
        origin = request.headers.get("Origin")
        if origin and self.cors_domains is not None and origin_allowed(origin, self.cors_domains):
            response["Access-Control-Allow-Origin"] = origin
            response["Access-Control-Expose-Headers"] = "X-Request-Id"
        return response


class RuntimeHealthView(PublicAPIView):
    @extend_schema(
        operation_id="getRuntimeHealth",
        tags=["Runtime Bootstrap"],
        summary="Check public SDK runtime health.",
        responses={
            200: inline_serializer(
                "RuntimeHealth",
                {
                    "status": serializers.CharField(),
                    "service": serializers.CharField(),
                    "time": UTCDateTimeField(),
                },
            )
        },
    )
    def get(self, request):
        return Response({"status": "ok", "service": "ringnity-runtime", "time": iso_utc(timezone.now())})


class RuntimeBootstrapView(RuntimeCorsMixin, PublicAPIView):
    @extend_schema(
        operation_id="bootstrapRuntime",
        tags=["Runtime Bootstrap"],
        summary="Resolve tenant branding, services, and runtime capabilities.",
        description="Answered from a cache invalidated when the tenant, its domains, toggles or plan change.",
        parameters=[
            OpenApiParameter(
                "slug", str, description="Public tenant slug, or the client id (`cl_…`, an extension: the widget's)."
            ),
            OpenApiParameter("apiKey", str, description="Public widget/install key for legacy compatibility."),
            OpenApiParameter("debug", bool, description="Include blocked-service reasons."),
        ],
        responses={
            200: inline_serializer(
                "RuntimeBootstrap",
                {
                    "tenant": TenantOutput(),
                    "branding": serializers.DictField(),
                    "services": RuntimeServiceCapabilityOutput(many=True),
                    "sdk": serializers.DictField(),
                },
            )
        },
    )
    def get(self, request):
        debug = request.query_params.get("debug", "").lower() in ("1", "true", "yes")
        entry = runtime_bootstrap(
            slug=request.query_params.get("slug"), api_key=request.query_params.get("apiKey"), debug=debug
        )
        self.cors_domains = entry["allowedDomains"]
        return Response(entry["data"])


class RuntimeSessionView(RuntimeCorsMixin, PublicAPIView):
    cors_methods = "POST, OPTIONS"

    @extend_schema(
        operation_id="createRuntimeSession",
        tags=["Runtime Bootstrap"],
        summary="Create a short-lived runtime session token.",
        description=(
            "Without a `contextToken` each call is an anonymous visitor start: at most "
            "CHAT_ANONYMOUS_STARTS_PER_IP per client address and tenant per 10 minutes, shared with the chat's "
            "tenant-header starts (then 429 RATE_LIMITED with Retry-After)."
        ),
        request=RuntimeSessionInput,
        responses={201: RuntimeSessionOutput},
    )
    def post(self, request):
        data = validate_input(RuntimeSessionInput, request.data)
        tenant = tenant_resolve_public(
            slug=data.get("slug") or request.query_params.get("slug"),
            api_key=data.get("apiKey") or request.query_params.get("apiKey"),
        )
        self.cors_domains = allowed_domains(tenant=tenant)
        issued = runtime_services.runtime_session_create(
            tenant=tenant,
            origin=request.headers.get("Origin"),
            visitor=data.get("visitor"),
            context_token=data.get("contextToken") or None,
        )
        if not data.get("contextToken"):
            # A new anonymous visitor identity: one start of the shared budget. The token is only signed,
            # nothing is stored, so refusing it here (429) leaves nothing behind.
            anonymous_start_charge(tenant=tenant, address=client_ip(request))
        body = {"sessionToken": issued.token, "expiresIn": issued.expires_in}
        body["expiresAt"] = issued.as_sdk_token()["expiresAt"]
        return Response(body, status=201)


_AUDIENCES_BY_KIND = {
    PrincipalKind.VISITOR: {"visitor", "customer"},
    PrincipalKind.AGENT: {"agent"},
    PrincipalKind.ADMIN_SDK: {"admin"},
}


class DevicePushTokenView(RuntimeCorsMixin, TenantAPIView):
    """Only the session's own tenant and subject: the filter is the principal, never the body."""

    authentication_classes = [RuntimeBearerAuthentication]
    accepted_principals = RUNTIME_KINDS
    required_scopes = {"POST": {DEVICES_WRITE}, "DELETE": {DEVICES_WRITE}}
    validation_error_code = ErrorCode.SDK_DEVICE_TOKEN_INVALID
    cors_methods = "POST, DELETE, OPTIONS"

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.cors_domains = allowed_domains(tenant=self.tenant)

    @extend_schema(
        operation_id="registerDevicePushToken",
        tags=["Runtime Bootstrap"],
        summary="Register or refresh a mobile push token for SDK runtime notifications.",
        request=RegisterDeviceInput,
        responses={201: DeviceResult},
    )
    def post(self, request):
        serializer = RegisterDeviceInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        principal = self.principal
        if fields["audience"] not in _AUDIENCES_BY_KIND[principal.kind]:
            allowed = ", ".join(sorted(_AUDIENCES_BY_KIND[principal.kind]))
            raise validation_failed(
                [f"audience: this session may register only {allowed}."], code=ErrorCode.SDK_DEVICE_TOKEN_INVALID
            )
        fields.update(runtime_services.device_identity(principal))
        device = runtime_services.device_register(tenant=self.tenant, subject=principal.subject, fields=fields)
        return Response(DeviceResult(device).data, status=201)

    @extend_schema(
        operation_id="unregisterDevicePushToken",
        tags=["Runtime Bootstrap"],
        summary="Disable a previously registered SDK device push token.",
        request=UnregisterDeviceInput,
        responses={200: inline_serializer("DevicePushTokenDisabled", {"disabled": serializers.IntegerField()})},
    )
    def delete(self, request):
        data = validate_input(UnregisterDeviceInput, request.data)
        disabled = runtime_services.device_unregister(
            tenant=self.tenant,
            subject=self.principal.subject,
            device_id=data.get("deviceId", ""),
            provider=data.get("provider", "fcm"),
            token=data.get("token", ""),
        )
        return Response({"disabled": disabled})


urlpatterns = [
    path("sdk/health", RuntimeHealthView.as_view(), name="sdk-health"),
    path("sdk/bootstrap", RuntimeBootstrapView.as_view(), name="sdk-bootstrap"),
    path("sdk/session", RuntimeSessionView.as_view(), name="sdk-session"),
    path("sdk/devices/push-token", DevicePushTokenView.as_view(), name="sdk-device-push-token"),
]
