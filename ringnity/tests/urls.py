"""Test-only routes that raise each kind of error, mounted beside the real ones."""

from django.http import Http404
from django.urls import include, path
from rest_framework import exceptions, serializers
from rest_framework.response import Response

from apps.developer.authentication import ServerApiKeyAuthentication
from apps.identity.authentication import OwnerJWTAuthentication
from ringnity import urls as root_urls
from ringnity.api.errors import ApiError, ErrorCode
from ringnity.api.principal import PrincipalKind
from ringnity.api.views import PublicAPIView


class EchoInput(serializers.Serializer):
    name = serializers.CharField(max_length=5)
    age = serializers.IntegerField(min_value=0)
    tags = serializers.ListField(child=serializers.CharField(max_length=3), required=False)
    kind = serializers.ChoiceField(choices=["a", "b"], required=False)  # its error message echoes the input


class EchoView(PublicAPIView):
    def post(self, request):
        data = EchoInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(data.validated_data, status=201)


class RaiseView(PublicAPIView):
    def get(self, request, kind):
        if kind == "api-error":
            raise ApiError(ErrorCode.CONFLICT, "Already there.", status=409, details=["name: taken"])
        if kind == "not-authenticated":
            raise exceptions.NotAuthenticated()
        if kind == "forbidden":
            raise exceptions.PermissionDenied()
        if kind == "http404":
            raise Http404("secret internal detail")
        if kind == "throttled":
            raise exceptions.Throttled(wait=12.2)
        if kind == "crash":
            raise RuntimeError("database password is hunter2")
        return Response({"kind": kind})


class ClosedView(PublicAPIView):
    accepted_principals = None

    def get(self, request):
        return Response({"open": True})


class ScopedServerView(PublicAPIView):
    authentication_classes = [ServerApiKeyAuthentication]
    accepted_principals = frozenset({PrincipalKind.SERVER_KEY})
    required_scopes = {"GET": {"server:contacts:read"}}
    scope_denied_code = ErrorCode.SERVER_API_SCOPE_DENIED

    def get(self, request):
        return Response({"tenant": request.auth.tenant.slug})


class OwnerOnlyView(PublicAPIView):
    authentication_classes = [OwnerJWTAuthentication]
    accepted_principals = frozenset({PrincipalKind.OWNER})

    def get(self, request):
        return Response({"tenant": request.auth.tenant.slug})


urlpatterns = [
    path("api/test/scoped", ScopedServerView.as_view()),
    path("api/test/owner-only", OwnerOnlyView.as_view()),
    path("api/test/echo", EchoView.as_view()),
    path("api/test/raise/<str:kind>", RaiseView.as_view()),
    path("api/test/closed", ClosedView.as_view()),
    path("", include("ringnity.urls")),
]

handler400 = root_urls.handler400
handler500 = root_urls.handler500
