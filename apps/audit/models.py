"""One row per privileged write; rows are only ever added.

The model refuses ``save()`` of an existing row and every delete, its queryset refuses ``update()``
and ``delete()``, and on PostgreSQL a trigger refuses ``UPDATE`` and ``DELETE`` whoever sends them
(migration ``0001_initial``).
"""

from django.db import models


class AuditLogImmutable(RuntimeError):
    """An audit row was about to be changed or removed."""


class ActorKind(models.TextChoices):
    OWNER = "owner", "Tenant owner"
    STAFF = "staff", "Tenant staff"
    PLATFORM = "platform", "Platform operator"
    SERVER_KEY = "server_key", "Server API key"
    ADMIN_SDK = "admin_sdk", "Admin SDK token"
    AGENT = "agent", "Agent runtime token"
    OAUTH = "oauth", "OAuth access token"
    COMMAND = "command", "Management command"
    SYSTEM = "system", "System (task or code without a request)"


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditLogImmutable("audit rows are never updated")

    def delete(self):
        raise AuditLogImmutable("audit rows are never deleted")

    def for_tenant(self, tenant) -> "AuditEntryQuerySet":
        if tenant is None or getattr(tenant, "pk", None) is None:
            raise LookupError("audit rows queried without a tenant")
        return self.filter(tenant_id=tenant.pk)


class AuditEntry(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor_kind = models.CharField(max_length=20, choices=ActorKind.choices)
    actor_id = models.CharField(max_length=150, blank=True, help_text="public id of the user or key, command name")
    actor_label = models.CharField(max_length=254, blank=True, help_text="e-mail, username or key name then")
    # No database constraint and no cascade: a row outlives whatever it names, and nothing deletes it.
    tenant = models.ForeignKey(
        "tenants.Tenant", null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    action = models.CharField(max_length=64, help_text="<entity>.<verb>")
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=150, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    ip = models.CharField(max_length=64, blank=True)
    request_id = models.CharField(max_length=128, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "audit log entry"
        verbose_name_plural = "audit log"
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="audit_tenant_time"),
            models.Index(fields=["action", "-created_at"], name="audit_action_time"),
            models.Index(fields=["actor_kind", "actor_id"], name="audit_actor"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type}:{self.target_id} by {self.actor_kind}:{self.actor_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditLogImmutable("audit rows are never updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditLogImmutable("audit rows are never deleted")
