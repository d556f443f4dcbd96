"""CORS for the chat routes a widget calls from a customer's page.

Like the SDK runtime routes: a response allows exactly the requesting ``Origin`` when it is
on the request's tenant's allowed domains (``Vary: Origin`` always, never ``*``, never
credentials). A preflight carries no token, so it is answered for an origin that is on some
active tenant's list; the real request is then checked against its own tenant. A request refused
before its tenant is known (a revoked or expired chat session: 401) is answered by the same rule as
the preflight, so the widget can read the 401 and start a new session instead of seeing a network error.
"""

from django.http import HttpResponse
from django.utils.cache import patch_vary_headers

from apps.runtime import services as runtime_services

CORS_MAX_AGE_SECONDS = 600
ALLOW_HEADERS = "Content-Type, X-Ringnity-SDK-Session, X-Ringnity-Chat-Session, X-Ringnity-Tenant, X-Request-Id"


class ChatCorsMixin:
    cors_methods = "GET, POST, PATCH, DELETE, OPTIONS"
    cors_expose_headers = "X-Request-Id, Content-Disposition"

    def dispatch(self, request, *args, **kwargs):
        self.cors_tenant = None
        if request.method == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in request.META:
            response = HttpResponse(status=204)
            patch_vary_headers(response, ["Origin"])
            origin = request.headers.get("Origin")
            if runtime_services.origin_allowed_for_any_tenant(origin=origin):
                response["Access-Control-Allow-Origin"] = origin
                response["Access-Control-Allow-Methods"] = self.cors_methods
                response["Access-Control-Allow-Headers"] = ALLOW_HEADERS
                response["Access-Control-Max-Age"] = str(CORS_MAX_AGE_SECONDS)
            return response
        return super().dispatch(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        patch_vary_headers(response, ["Origin"])
        origin = request.headers.get("Origin")
        tenant = self.cors_tenant or getattr(getattr(request, "_auth", None), "tenant", None)
        if not origin:
            return response
        if tenant is not None:
            allowed = runtime_services.origin_allowed_for_tenant(tenant=tenant, origin=origin)
        else:  # refused before a tenant was known: readable where the preflight would allow it
            allowed = response.status_code >= 400 and runtime_services.origin_allowed_for_any_tenant(origin=origin)
        if allowed:
            response["Access-Control-Allow-Origin"] = origin
            response["Access-Control-Expose-Headers"] = self.cors_expose_headers
        return response
