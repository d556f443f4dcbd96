"""One row per Idempotency-Key a credential used on one operation, with the answer to replay."""

from django.db import models

from apps.tenants.tenancy import TenantOwnedModel

KEY_MAX_LENGTH = 255


class IdempotencyRecord(TenantOwnedModel):
    """Scoped by tenant + ``scope`` (a digest of credential, method and path) + key: a unique constraint, so
    parallel repeats insert one row and the others wait for its transaction. Only a 2xx answer is kept (an
    error changed nothing, so a retry with the same key runs again)."""

    scope = models.CharField(max_length=64)  # SHA-256 of credential reference, method and path
    key = models.CharField(max_length=KEY_MAX_LENGTH)
    method = models.CharField(max_length=8)  # for the console; the scope decides
    path = models.CharField(max_length=500)
    fingerprint = models.CharField(max_length=64)  # SHA-256 of the canonical request (query + body)
    status_code = models.PositiveSmallIntegerField()
    answer_sealed = models.TextField(blank=True)  # the answer's data and headers as JSON, encrypted (secrets)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "idempotency_record"
        constraints = [models.UniqueConstraint(fields=["tenant", "scope", "key"], name="idempotency_record_scope")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"
