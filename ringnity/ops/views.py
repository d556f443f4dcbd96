"""``/api/health/live``, ``/api/health/ready`` (documented extensions) and ``/metrics``.

Liveness is public and touches nothing: the process answers. Readiness and metrics need
``OPS_TOKEN`` (``ringnity.ops.access``). A failing readiness check is named in a 503
``SERVICE_UNAVAILABLE`` whose ``details`` list every failure.
"""

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema, inline_serializer
from prometheus_client import CONTENT_TYPE_LATEST
from rest_framework import serializers
from rest_framework.response import Response

from ringnity.api.errors import ApiError, ErrorCode
from ringnity.api.views import PublicAPIView
from ringnity.ops.access import OpsTokenPermission
from ringnity.ops.health import readiness
from ringnity.ops.metrics import exposition

NOT_READY = "Not ready: `details` names each failing check."
#: Supervisors' probes draw on no request budget: a probe must answer while Redis is down.
UNTHROTTLED: list = []


class HealthLiveView(PublicAPIView):
    throttle_classes = UNTHROTTLED

    @extend_schema(
        operation_id="getHealthLive",
        tags=["Operations"],
        summary="Liveness: the process answers (extension).",
        description="Ringnity extension for process supervisors: 200 while the process serves requests. "
        "Checks no dependency (see getHealthReady).",
        responses={200: inline_serializer("HealthLive", {"status": serializers.CharField()})},
        extensions={"x-ringnity-extension": True},
    )
    def get(self, request):
        return Response({"status": "ok"})


class HealthReadyView(PublicAPIView):
    permission_classes = [OpsTokenPermission]
    throttle_classes = UNTHROTTLED

    @extend_schema(
        operation_id="getHealthReady",
        tags=["Operations"],
        summary="Readiness: database, migrations, Redis and broker (extension).",
        description="Ringnity extension for load balancers: needs `Authorization: Bearer <OPS_TOKEN>`. "
        "200 when the database answers, every migration is applied and the cache (Redis) and the Celery "
        "broker answer; otherwise 503 `SERVICE_UNAVAILABLE` naming each failing check in `details`.",
        responses={
            200: inline_serializer(
                "HealthReady",
                {"status": serializers.CharField(), "checks": serializers.DictField(child=serializers.CharField())},
            )
        },
        extensions={"x-ringnity-extension": True},
    )
    def get(self, request):
        results, failures = readiness()
        if failures:
            raise ApiError(ErrorCode.SERVICE_UNAVAILABLE, NOT_READY, status=503, details=failures)
        return Response({"status": "ready", "checks": results})


class MetricsView(PublicAPIView):
    """``GET /metrics``: Prometheus text format for holders of ``OPS_TOKEN`` (errors in the JSON envelope)."""

    permission_classes = [OpsTokenPermission]
    throttle_classes = UNTHROTTLED

    @extend_schema(exclude=True)
    def get(self, request):
        return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
