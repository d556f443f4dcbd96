"""Server API webhooks: ``/server/webhooks``, ``/deliveries``, ``/test``, ``/{id}`` (ServerApiKey).

Every route needs the plan features ``server_api`` and ``webhooks`` (403 FEATURE_NOT_AVAILABLE)
and the scopes ``server:webhook:read`` (GET) / ``server:webhook:write`` (writes).
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from apps.developer.api.base import ServerAPIView
from apps.idempotency.http import idempotent
from apps.plans.entitlements import for_tenant
from apps.webhooks import catalog, selectors, services
from apps.webhooks.api.serializers import (
    WebhookDeliveryListSerializer,
    WebhookDeliveryQuery,
    WebhookInputSerializer,
    WebhookListSerializer,
    WebhookPatchSerializer,
    WebhookResultSerializer,
    WebhookTestInput,
    WebhookTestOutput,
)
from ringnity.api.errors import ErrorCode, validation_failed
from ringnity.api.views import validate_input

READ = "server:webhook:read"
WRITE = "server:webhook:write"
TAGS = ["Webhooks"]
ERRORS = (
    "Errors: 400 `SERVER_WEBHOOK_VALIDATION_FAILED` (every problem in `details`), 404 `SERVER_WEBHOOK_NOT_FOUND` "
    "(also for another tenant's id), 403 `FEATURE_NOT_AVAILABLE` without the plan features `server_api` and "
    "`webhooks`, 403 `SERVER_API_SCOPE_DENIED`."
)
CREATE_RULES = (
    "`url`: https, no credentials, at most 2048 characters, and its host must not resolve to a private, "
    "loopback, link-local, multicast, unspecified or IPv4-mapped address (checked again at every send). "
    "`events`: non-empty, each from `availableEvents` or `*`. `secret`: optional; `whsec_` + base64 of 32 "
    "random bytes (the Standard Webhooks format); generated when omitted. The secret is returned only here "
    "and on an explicit secret change; reads show `secretPreview`. Beyond the plan's `webhooks` quota "
    "(active endpoints): 409 `QUOTA_EXCEEDED`. The callbacks document the body of every event type. "
)


class WebhookAPIView(ServerAPIView):
    validation_error_code = ErrorCode.SERVER_WEBHOOK_VALIDATION_FAILED

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        for_tenant(self.tenant).require_feature("webhooks")


class WebhookCollectionView(WebhookAPIView):
    required_scopes = {"GET": {READ}, "POST": {WRITE}}

    @extend_schema(
        operation_id="listWebhooks",
        tags=TAGS,
        summary="List webhook endpoints.",
        description="Newest first, active and disabled. `availableEvents` is the event catalog; the callbacks "
        "document each event's payload. " + ERRORS,
        responses={200: WebhookListSerializer},
        callbacks=catalog.event_callbacks(),
    )
    def get(self, request):
        endpoints = selectors.endpoint_list(tenant=self.tenant)
        body = {"webhooks": endpoints, "availableEvents": catalog.available_events()}
        return Response(WebhookListSerializer(body).data)

    @extend_schema(
        operation_id="createWebhook",
        tags=TAGS,
        summary="Create a webhook endpoint.",
        description=CREATE_RULES + ERRORS,
        request=WebhookInputSerializer,
        responses={201: WebhookResultSerializer},
        callbacks=catalog.event_callbacks(),
    )
    @idempotent
    def post(self, request):
        data = validate_input(WebhookInputSerializer, request.data)
        endpoint, secret = services.endpoint_create(
            tenant=self.tenant, name=data["name"], url=data["url"], events=data["events"], secret=data.get("secret")
        )
        return Response(WebhookResultSerializer({"webhook": endpoint, "secret": secret}).data, status=201)


class WebhookDetailView(WebhookAPIView):
    required_scopes = {"PATCH": {WRITE}, "DELETE": {WRITE}}

    @extend_schema(
        operation_id="updateWebhook",
        tags=TAGS,
        summary="Update a webhook endpoint.",
        description="The given fields are merged over the current ones and everything is validated again "
        "(the URL's host is resolved and checked again). A new `secret` is returned once and signs at once; the "
        "previous one keeps signing alongside it for 24 hours (two signatures in `webhook-signature`). "
        "`isActive: true` re-enables a disabled endpoint (within the quota). " + ERRORS,
        request=WebhookPatchSerializer(partial=True),
        responses={200: WebhookResultSerializer},
    )
    def patch(self, request, id):
        endpoint = selectors.endpoint_get(tenant=self.tenant, public_id=id)
        if not isinstance(request.data, dict):
            raise validation_failed(["A JSON object is required."], code=ErrorCode.SERVER_WEBHOOK_VALIDATION_FAILED)
        merged = {"name": endpoint.name, "url": endpoint.url, "events": endpoint.events, **request.data}
        data = validate_input(WebhookPatchSerializer, merged)
        given = {"is_active" if key == "isActive" else key for key in request.data}
        fields = {key: value for key, value in data.items() if key in given}
        endpoint, secret = services.endpoint_update(endpoint=endpoint, fields=fields)
        return Response(WebhookResultSerializer({"webhook": endpoint, "secret": secret}).data)

    @extend_schema(
        operation_id="disableWebhook",
        tags=TAGS,
        summary="Disable a webhook endpoint.",
        description="Sets `isActive: false`; the endpoint and its delivery history are kept, pending retries "
        "stop. Re-enable with `PATCH {isActive: true}`. " + ERRORS,
        responses={200: WebhookResultSerializer},
    )
    def delete(self, request, id):
        endpoint = selectors.endpoint_get(tenant=self.tenant, public_id=id)
        endpoint = services.endpoint_disable(endpoint=endpoint)
        return Response(WebhookResultSerializer({"webhook": endpoint}).data)


class WebhookDeliveryListView(WebhookAPIView):
    required_scopes = {"GET": {READ}}

    @extend_schema(
        operation_id="listWebhookDeliveries",
        tags=TAGS,
        summary="List webhook delivery attempts.",
        description="Attempts newest first, at most `limit` (default 50, at most 100). Each row is one HTTP "
        "attempt; `deliveryId` (the `webhook-id` header) is shared by the attempts of one delivery. `status` is "
        "the delivery's state once that attempt ended: `delivered`, `retrying` (failed, another attempt is "
        "scheduled) or `failed` (final); an attempt in flight is listed once it ends (within the 10 s timeout). "
        + ERRORS,
        parameters=[
            OpenApiParameter("limit", int, description="1..100, default 50 (a larger value is a 400)."),
            OpenApiParameter("webhookId", str, description="Only this endpoint's attempts (404 when unknown)."),
            OpenApiParameter("status", str, enum=["delivered", "retrying", "failed"]),
            OpenApiParameter("event", str, description="Only this event type."),
        ],
        responses={200: WebhookDeliveryListSerializer},
    )
    def get(self, request):
        query = validate_input(WebhookDeliveryQuery, request.query_params)
        endpoint = None
        if query["webhookId"]:
            endpoint = selectors.endpoint_get(tenant=self.tenant, public_id=query["webhookId"])
        attempts = selectors.attempt_list(
            tenant=self.tenant,
            endpoint=endpoint,
            status=query["status"],
            event_type=query["event"],
            limit=query["limit"],
        )
        return Response(WebhookDeliveryListSerializer({"deliveries": attempts}).data)


class WebhookTestView(WebhookAPIView):
    required_scopes = {"POST": {WRITE}}

    @extend_schema(
        operation_id="testWebhook",
        tags=TAGS,
        summary="Send a webhook test event.",
        description="Sends `event` (default `webhook.test`, with a test payload) now to the endpoint "
        "`webhookId`, or to every active endpoint when omitted, and answers with each attempt's result "
        "(`results`). One attempt each, no retries; logged like any delivery. A disabled endpoint is a 400. "
        f"Bounded: at most {services.TEST_SEND_NOW_MAX} endpoints are sent now, in parallel, each within "
        f"{services.TEST_SEND_SECONDS:g} s, so the answer comes in about {services.TEST_SEND_SECONDS:g} s whatever the "
        "receivers do; further endpoints are queued (`status: pending`, `attempt: 0`, counted in `queued`) and sent "
        "by the webhooks worker. " + ERRORS,
        request=WebhookTestInput,
        responses={200: WebhookTestOutput},
    )
    @idempotent
    def post(self, request):
        data = validate_input(WebhookTestInput, request.data)
        if data["webhookId"]:
            endpoint = selectors.endpoint_get(tenant=self.tenant, public_id=data["webhookId"])
            if not endpoint.is_active:
                raise validation_failed(
                    ["webhookId: the endpoint is disabled; re-enable it first."],
                    code=ErrorCode.SERVER_WEBHOOK_VALIDATION_FAILED,
                )
            endpoints = [endpoint]
        else:
            endpoints = list(selectors.endpoint_list(tenant=self.tenant).filter(is_active=True))
        results = services.webhook_test_send(tenant=self.tenant, endpoints=endpoints, event_type=data["event"])
        delivered = sum(1 for r in results if r["delivered"])
        queued = sum(1 for r in results if not r["attempt"])
        return Response({"results": results, "sent": len(results) - queued, "delivered": delivered, "queued": queued})
