from django.apps import AppConfig


class RuntimeConfig(AppConfig):
    """Runtime tokens, SDK bootstrap and sessions, origins and CORS, devices, Admin SDK reads."""

    name = "apps.runtime"
    label = "runtime"
    verbose_name = "SDK runtime"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here, not at module level: the receivers name models, which need the app registry ready.
        from apps.runtime import signals

        signals.connect()
