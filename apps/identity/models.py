"""Dashboard sign-in state: one-time workspace entry tokens and refresh-token session families."""

from django.db import models

from apps.tenants.models import User
from apps.tenants.tenancy import TenantOwnedModel


class WorkspaceEntryToken(TenantOwnedModel):
    """A one-time, short-lived ticket from an owner session into the workspace dashboard."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    token_digest = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "expires_at"], name="entry_token_tenant_exp")]

    def __str__(self) -> str:
        return f"entry token expiring {self.expires_at:%Y-%m-%d %H:%M:%S}"


class SessionFamily(models.Model):
    """All refresh tokens descended from one login. Reusing a rotated token revokes the family."""

    id = models.UUIDField(primary_key=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="session_families")
    scope = models.CharField(max_length=20)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["user", "scope"], name="session_family_user_scope")]

    def __str__(self) -> str:
        return f"{self.scope} session of {self.user_id}"
