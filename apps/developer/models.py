"""Developer settings: allowed SDK origins, service toggles and Server API keys."""

from django.db import models

from apps.tenants import ids
from apps.tenants.models import User
from apps.tenants.tenancy import TenantOwnedModel


class AllowedDomain(TenantOwnedModel):
    """An origin host the tenant's SDKs may run on: ``example.com``, ``app.example.com:8443``, ``*.example.com``."""

    domain = models.CharField(max_length=260)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["domain"]
        constraints = [models.UniqueConstraint(fields=["tenant", "domain"], name="allowed_domain_per_tenant")]
        # CORS preflights cannot name their tenant (no SDK header on OPTIONS): they ask whether any
        # active tenant allows the origin, a lookup by domain alone (runtime_services).
        indexes = [models.Index(fields=["domain"], name="allowed_domain_domain")]

    def __str__(self) -> str:
        return self.domain


class ServiceKey(models.TextChoices):
    CHAT = "chat", "Live chat"
    VOICE_CALL = "voice_call", "Voice call"
    VIDEO_CALL = "video_call", "Video call"
    AI_CHAT = "ai_chat", "AI chat"
    AI_VOICE = "ai_voice", "AI voice"
    AI_VIDEO = "ai_video", "AI video"


class ServiceToggle(TenantOwnedModel):
    """The tenant admin's on/off switch for one service; no row means enabled."""

    service = models.CharField(max_length=20, choices=ServiceKey.choices)
    admin_enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "service"], name="service_toggle_per_tenant")]

    def __str__(self) -> str:
        return f"{self.get_service_display()}: {'on' if self.admin_enabled else 'off'}"


class ServerApiEnvironment(models.TextChoices):
    LIVE = "live", "Live"
    TEST = "test", "Test"


class ServerApiKey(TenantOwnedModel):
    """A Server API credential. The secret is shown once; only its SHA-256 digest is stored.

    SHA-256 (not a password hash) is right here: the secret has >= 190 bits of
    randomness, so there is nothing to brute-force, and the lookup by digest
    must be fast on every request.
    """

    public_id = models.CharField(max_length=32, unique=True, default=ids.server_key_public_id, editable=False)
    name = models.CharField(max_length=120)
    environment = models.CharField(
        max_length=4, choices=ServerApiEnvironment.choices, default=ServerApiEnvironment.LIVE
    )
    scopes = models.JSONField(default=list)
    secret_digest = models.CharField(max_length=64, unique=True, editable=False)
    secret_last4 = models.CharField(max_length=4, editable=False)
    is_active = models.BooleanField(default=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "is_active"], name="server_key_tenant_active")]

    def __str__(self) -> str:
        return f"{self.name} ({self.secret_preview})"

    @property
    def secret_preview(self) -> str:
        return f"rn_sk_{self.environment}_…{self.secret_last4}"
