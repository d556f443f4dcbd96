"""SDK runtime state: push tokens registered by runtime sessions."""

from django.db import models

from apps.tenants import ids
from apps.tenants.tenancy import TenantOwnedModel


class DevicePlatform(models.TextChoices):
    IOS = "ios", "iOS"
    ANDROID = "android", "Android"
    WEB = "web", "Web"


class DevicePushToken(TenantOwnedModel):
    """A mobile/web push token registered by an SDK runtime session."""

    public_id = models.CharField(max_length=32, unique=True, default=ids.device_public_id, editable=False)
    platform = models.CharField(max_length=16)
    provider = models.CharField(max_length=16, default="fcm")
    token = models.CharField(max_length=4096)
    token_digest = models.CharField(max_length=64, help_text="SHA-256 of the token, for the unique lookup.")
    audience = models.CharField(max_length=16, default="visitor")
    device_id = models.CharField(max_length=200, blank=True)
    app_id = models.CharField(max_length=200, blank=True)
    external_id = models.CharField(max_length=200, blank=True)
    agent_id = models.CharField(max_length=64, blank=True)
    call_mode = models.CharField(max_length=16, default="basic")
    metadata = models.JSONField(default=dict, blank=True)
    subject = models.CharField(max_length=200, help_text="Runtime subject (visitor or agent) that registered it.")
    enabled = models.BooleanField(default=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "provider", "token_digest"], name="device_token_per_tenant"),
        ]
        indexes = [models.Index(fields=["tenant", "device_id"], name="device_tenant_device_id")]

    def __str__(self) -> str:
        return f"{self.platform} device {self.public_id}"
