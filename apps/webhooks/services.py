"""Writes for webhook endpoints, console redelivery and test sends.

Endpoint services (``endpoint_create``/``endpoint_update``/``endpoint_disable``) take validated
input (``apps.webhooks.api.serializers`` checks URL, events and secret). The quota ``webhooks``
counts active endpoints; creating or re-activating one beyond it is 409 QUOTA_EXCEEDED. The
delivery of one attempt is in ``apps.webhooks.delivery``.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from apps.audit.services import audit_record, audited, snapshot
from apps.plans.entitlements import for_tenant
from apps.tenants.services import tenant_row_lock
from apps.webhooks import delivery as deliveries
from apps.webhooks import signing
from apps.webhooks.catalog import TEST_EVENT
from apps.webhooks.delivery import ACTIVE, SECRET_OVERLAP
from apps.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from apps.webhooks.tasks import enqueue
from ringnity.api.errors import ApiError, ErrorCode

# --- endpoints ---------------------------------------------------------------------------------

ENDPOINT_FIELDS = ("name", "url", "events", "is_active", "disabled_reason")


def active_endpoint_count(tenant) -> int:
    """The ``webhooks`` quota's usage counter (registered in ``WebhooksConfig.ready``)."""
    return WebhookEndpoint.objects.for_tenant(tenant).filter(is_active=True).count()


def _require_quota_for_one_more(tenant) -> None:
    # The tenant row lock serialises concurrent creates of one tenant, so two cannot both take the last slot.
    tenant_row_lock(tenant)
    limit = for_tenant(tenant).quota("webhooks").enforced_limit
    if limit is not None and active_endpoint_count(tenant) + 1 > limit:
        raise ApiError(
            ErrorCode.QUOTA_EXCEEDED,
            "The plan's 'webhooks' quota does not allow another active endpoint.",
            status=409,
            details=[f"webhooks: the plan allows at most {limit} active endpoints"],
        )


def _set_secret(endpoint: WebhookEndpoint, secret: str) -> None:
    endpoint.secret_encrypted = signing.secret_encrypt(secret)
    endpoint.secret_preview = signing.secret_preview(secret)


@audited("webhook_endpoint.create")
@transaction.atomic
def endpoint_create(*, tenant, url: str, events: list[str], name: str = "", secret: str | None = None):
    """Returns ``(endpoint, secret)``; the secret is generated when none is given."""
    _require_quota_for_one_more(tenant)
    secret = secret or signing.secret_generate()
    endpoint = WebhookEndpoint(tenant=tenant, name=name, url=url, events=events)
    _set_secret(endpoint, secret)
    endpoint.save()
    after = snapshot(endpoint, ENDPOINT_FIELDS)
    audit_record(action="webhook_endpoint.create", target=endpoint, after=after, tenant=endpoint.tenant_id)
    return endpoint, secret


@audited("webhook_endpoint.update")
@transaction.atomic
def endpoint_update(*, endpoint: WebhookEndpoint, fields: dict):
    """Applies validated ``name``/``url``/``events``/``is_active``/``secret``; ``(endpoint, new secret or None)``.

    A new secret starts signing at once; the previous one keeps signing alongside it for 24 hours.
    """
    endpoint = WebhookEndpoint.objects.for_tenant(endpoint.tenant).select_for_update().get(pk=endpoint.pk)
    before = snapshot(endpoint, ENDPOINT_FIELDS)
    for key in ("name", "url", "events"):
        if key in fields:
            setattr(endpoint, key, fields[key])
    if "is_active" in fields and fields["is_active"] != endpoint.is_active:
        if fields["is_active"]:
            _require_quota_for_one_more(endpoint.tenant)
            endpoint.is_active, endpoint.disabled_reason, endpoint.disabled_at = True, "", None
            endpoint.failing_since = None
        else:
            _deactivate(endpoint, "Disabled through the API.")
    new_secret = fields.get("secret")
    if new_secret:
        endpoint.previous_secret_encrypted = endpoint.secret_encrypted
        endpoint.previous_secret_expires_at = timezone.now() + SECRET_OVERLAP
        _set_secret(endpoint, new_secret)
    endpoint.save()
    after = snapshot(endpoint, ENDPOINT_FIELDS)
    audit_record(
        action="webhook_endpoint.update", target=endpoint, before=before, after=after, tenant=endpoint.tenant_id
    )
    if new_secret:
        audit_record(
            action="webhook_endpoint.secret_rotate", target=endpoint, after={"secret": "new"}, tenant=endpoint.tenant_id
        )
    return endpoint, new_secret or None


def _deactivate(endpoint: WebhookEndpoint, reason: str) -> None:
    endpoint.is_active = False
    endpoint.disabled_reason = reason[:300]
    endpoint.disabled_at = timezone.now()


@audited("webhook_endpoint.disable")
@transaction.atomic
def endpoint_disable(*, endpoint: WebhookEndpoint, reason: str = "Disabled through the API.") -> WebhookEndpoint:
    """``DELETE``: deactivates and keeps the endpoint with its delivery history."""
    endpoint = WebhookEndpoint.objects.for_tenant(endpoint.tenant).select_for_update().get(pk=endpoint.pk)
    before = snapshot(endpoint, ENDPOINT_FIELDS)
    if endpoint.is_active:
        _deactivate(endpoint, reason)
        endpoint.save()
    after = snapshot(endpoint, ENDPOINT_FIELDS)
    audit_record(
        action="webhook_endpoint.disable", target=endpoint, before=before, after=after, tenant=endpoint.tenant_id
    )
    return endpoint


@transaction.atomic
def delivery_redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """One more attempt under the same ``webhook-id`` (console action); enqueued on commit."""
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
    if delivery.locked_until and delivery.locked_until > timezone.now():
        return delivery  # being sent right now
    now = timezone.now()
    delivery.max_attempts = max(delivery.max_attempts, delivery.attempt_count + 1)
    if delivery.status not in ACTIVE:
        delivery.max_attempts = delivery.attempt_count + 1
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = now
    delivery.task_queued_at = now
    delivery.save()
    delivery_id = delivery.pk
    transaction.on_commit(lambda: enqueue([delivery_id]), robust=True)
    return delivery


# --- test sends ----------------------------------------------------------------------------------


def attempt_result(attempt: WebhookAttempt) -> dict:
    return {
        "webhookId": attempt.endpoint.public_id,
        "deliveryId": attempt.delivery.public_id,
        "event": attempt.event_type,
        "status": attempt.status,
        "delivered": attempt.status == DeliveryStatus.DELIVERED,
        "responseStatus": attempt.response_status,
        "errorMessage": attempt.error_message,
        "durationMs": attempt.duration_ms,
        "attempt": attempt.number,
    }


#: Test sends made inside the request, in parallel; more endpoints are queued as ordinary test deliveries.
TEST_SEND_NOW_MAX = deliveries.BATCH_MAX
#: Each test request's deadline, and the bound of all of them together (at most WEBHOOKS_TIMEOUT_SECONDS).
TEST_SEND_SECONDS = 5.0


def queued_result(delivery: WebhookDelivery, endpoint: WebhookEndpoint) -> dict:
    """A test delivery left to the ``webhooks`` queue: no attempt yet."""
    return {
        "webhookId": endpoint.public_id,
        "deliveryId": delivery.public_id,
        "event": delivery.event_type,
        "status": DeliveryStatus.PENDING,
        "delivered": False,
        "responseStatus": None,
        "errorMessage": "",
        "durationMs": None,
        "attempt": 0,
    }


def webhook_test_send(*, tenant, endpoints: list[WebhookEndpoint], event_type: str = TEST_EVENT) -> list[dict]:
    """Sends one test event to each endpoint (one attempt, no retries), logged like any delivery.

    The first ``TEST_SEND_NOW_MAX`` endpoints are sent now, in parallel, each request within
    ``TEST_SEND_SECONDS`` and all of them within that too: the call ends in about 5 s plus a few
    database round trips whatever the receivers do. The others are queued (``pending``, attempt 0)
    and sent by the webhooks worker.
    """
    with transaction.atomic():
        created = []
        for endpoint in endpoints:
            event = WebhookEvent.objects.create(
                tenant=tenant,
                event_type=event_type,
                payload={
                    "test": True,
                    "webhookId": endpoint.public_id,
                    "message": "A test event from Ringnity; no action is needed.",
                },
            )
            (delivery,) = deliveries.deliveries_create(tenant=tenant, event=event, endpoints=[endpoint], max_attempts=1)
            created.append((delivery, endpoint))
        queued = created[TEST_SEND_NOW_MAX:]
        queued_ids = [delivery.pk for delivery, _ in queued]
        transaction.on_commit(lambda: enqueue(queued_ids), robust=True)
    outcomes = deliveries.attempt_many(
        delivery_ids=[delivery.pk for delivery, _ in created[:TEST_SEND_NOW_MAX]],
        countdown_ok=False,
        seconds=TEST_SEND_SECONDS,
        budget=TEST_SEND_SECONDS,
    )
    return [attempt_result(o.attempt) for o in outcomes] + [queued_result(d, e) for d, e in queued]
