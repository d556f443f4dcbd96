from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The append-only audit log of privileged writes; below every app that writes to it."""

    name = "apps.audit"
    label = "audit"
    verbose_name = "Audit log"
    default_auto_field = "django.db.models.BigAutoField"
