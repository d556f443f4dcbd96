from django.apps import AppConfig


class PlatformConfig(AppConfig):
    """Platform operators' API and the console (on top: reads and writes through the apps below)."""

    name = "apps.platform"
    label = "platform"
    verbose_name = "Platform"
    default_auto_field = "django.db.models.BigAutoField"
