"""Public SDK runtime endpoints."""

from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from ringnity.api.views import PublicAPIView


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
                    "time": serializers.DateTimeField(),
                },
            )
        },
    )
    def get(self, request):
        return Response({"status": "ok", "service": "ringnity-runtime", "time": timezone.now().isoformat()})


urlpatterns = [
    path("sdk/health", RuntimeHealthView.as_view(), name="sdk-health"),
]
