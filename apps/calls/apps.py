from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "apps.calls"
    label = "calls"
    verbose_name = "Calls"
    default_auto_field = "django.db.models.BigAutoField"
