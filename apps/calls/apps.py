from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "apps.calls"
    label = "calls"
    verbose_name = "Calls"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.calls.events import EVENTS
        from apps.webhooks.catalog import register_events

        register_events(EVENTS)
