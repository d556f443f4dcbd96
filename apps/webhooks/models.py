"""Webhook endpoints, the events they are sent, deliveries (one per event and endpoint) and attempts.

* ``WebhookEndpoint``: a customer URL subscribed to event types. The signing secret is stored
  encrypted (``apps.webhooks.signing``); after a secret change the previous one keeps signing
  until ``previous_secret_expires_at``. Deleting through the API only deactivates (history stays).
* ``WebhookEvent``: the event log. What ``event_emit`` recorded: every event an endpoint subscribes to
  or an outlet logs (``apps.webhooks.events.register_outlet``; the realtime gateway logs every
  ``message.*``, ``conversation.*`` and ``call.*``). The body of every delivery is rendered from it, so
  every retry sends the same bytes. After commit each event gets ``seq``, the tenant's next cursor.
* ``EventSequence``: per tenant, the last ``seq`` given and the highest ``seq`` pruned (``floor_seq``).
* ``WebhookDelivery``: one event to one endpoint; ``public_id`` is the ``webhook-id`` header, the
  same on every attempt. ``locked_until`` is the lease a worker holds while it sends.
* ``WebhookAttempt``: one HTTP request of a delivery, with what came back.
"""

from django.db import models

from apps.tenants import ids
from apps.tenants.tenancy import TenantOwnedModel

URL_MAX_LENGTH = 2048
RESPONSE_BODY_MAX_CHARS = 2048


def endpoint_public_id() -> str:
    return ids.new_public_id("whk")


def event_public_id() -> str:
    return ids.new_public_id("evt")


def delivery_public_id() -> str:
    return ids.new_public_id("msg")


def attempt_public_id() -> str:
    return ids.new_public_id("wha")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"
    DELIVERED = "delivered"
    RETRYING = "retrying"
    FAILED = "failed"


class WebhookEndpoint(TenantOwnedModel):
    public_id = models.CharField(max_length=32, unique=True, default=endpoint_public_id, editable=False)
    name = models.CharField(max_length=200, blank=True)
    url = models.CharField(max_length=URL_MAX_LENGTH)
    events = models.JSONField(default=list)
    secret_encrypted = models.TextField(editable=False)
    secret_preview = models.CharField(max_length=32, editable=False)
    previous_secret_encrypted = models.TextField(blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    # Since when every attempt has failed (cleared by any success): 5 days of that disables the endpoint.
    failing_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "-created_at", "-id"], name="whk_tenant_created"),
            models.Index(fields=["tenant", "is_active"], name="whk_tenant_active"),
        ]

    def __str__(self) -> str:
        return f"{self.name or self.url} ({self.public_id})"


class WebhookEvent(TenantOwnedModel):
    public_id = models.CharField(max_length=32, unique=True, default=event_public_id, editable=False)
    event_type = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    # The tenant's cursor: 1, 2, 3, ... with no gap, in the order of sequencing (after commit; see events.py).
    seq = models.BigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "-created_at", "-id"], name="whe_tenant_created"),
            models.Index(fields=["tenant", "id"], condition=models.Q(seq__isnull=True), name="whe_tenant_unsequenced"),
        ]
        constraints = [models.UniqueConstraint(fields=["tenant", "seq"], name="whe_tenant_seq")]

    def __str__(self) -> str:
        return f"{self.event_type} ({self.public_id})"


class EventSequence(TenantOwnedModel):
    """One row per tenant, locked while events are numbered: the numbering is gap-free and its order is
    the order in which the numbering transactions commit."""

    last_seq = models.BigIntegerField(default=0)
    # Events up to here may be pruned: a cursor below it cannot be replayed (resync required).
    floor_seq = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="event_sequence_per_tenant")]


class WebhookDelivery(TenantOwnedModel):
    public_id = models.CharField(max_length=32, unique=True, default=delivery_public_id, editable=False)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    event_type = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempt_count = models.PositiveIntegerField(default=0)
    # Attempts allowed in total; a test send allows 1, a console redelivery one more than made so far.
    max_attempts = models.PositiveIntegerField(default=8)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # When a task for the next attempt was last put on the queue (None: the sweep enqueues it when due).
    task_queued_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    last_response_status = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(fields=["tenant", "-created_at", "-id"], name="whd_tenant_created"),
            models.Index(fields=["status", "next_attempt_at"], name="whd_due"),
            models.Index(fields=["endpoint", "-created_at"], name="whd_endpoint_created"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint_id} ({self.public_id})"


class WebhookAttempt(TenantOwnedModel):
    public_id = models.CharField(max_length=32, unique=True, default=attempt_public_id, editable=False)
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="attempts")
    event_type = models.CharField(max_length=64)
    number = models.PositiveIntegerField()
    # The delivery's status once this attempt ended (delivered/retrying/failed); written when the attempt ends.
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    url = models.CharField(max_length=URL_MAX_LENGTH)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    error_message = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "-started_at", "-id"], name="wha_tenant_started"),
            models.Index(fields=["tenant", "endpoint", "-started_at"], name="wha_tenant_endpoint"),
        ]
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="wha_one_number_per_delivery")]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}"
