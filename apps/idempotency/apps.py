from django.apps import AppConfig


class IdempotencyConfig(AppConfig):
    """Idempotency-Key on the Server API and Admin SDK writes: the first answer, stored and replayed."""

    name = "apps.idempotency"
    label = "idempotency"
    verbose_name = "Idempotency keys"
    default_auto_field = "django.db.models.BigAutoField"
