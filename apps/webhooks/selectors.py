"""Reads for webhook endpoints and the delivery log (always within one tenant)."""

from __future__ import annotations

from apps.webhooks.models import WebhookAttempt, WebhookEndpoint
from ringnity.api.errors import ErrorCode, not_found


def endpoint_list(*, tenant):
    return WebhookEndpoint.objects.for_tenant(tenant).order_by("-created_at", "-id")


def endpoint_get(*, tenant, public_id: str) -> WebhookEndpoint:
    """The tenant's endpoint; another tenant's id is simply not found (404 SERVER_WEBHOOK_NOT_FOUND)."""
    endpoint = WebhookEndpoint.objects.for_tenant(tenant).filter(public_id=public_id).first()
    if endpoint is None:
        raise not_found("Webhook", code=ErrorCode.SERVER_WEBHOOK_NOT_FOUND)
    return endpoint


def attempt_list(*, tenant, endpoint=None, status: str = "", event_type: str = "", limit: int = 50) -> list:
    """The newest ``limit`` attempts of the tenant, optionally of one endpoint, status and event type."""
    attempts = (
        WebhookAttempt.objects.for_tenant(tenant).select_related("endpoint", "delivery").order_by("-started_at", "-id")
    )
    if endpoint is not None:
        attempts = attempts.filter(endpoint=endpoint)
    if status:
        attempts = attempts.filter(status=status)
    if event_type:
        attempts = attempts.filter(event_type=event_type)
    return list(attempts[:limit])
