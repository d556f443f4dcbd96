from django.apps import AppConfig


class PlansConfig(AppConfig):
    """Plan catalog, subscriptions, the entitlement engine and the usage-counter registry."""

    name = "apps.plans"
    label = "plans"
    verbose_name = "Plans"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here, not at module level: models and signals need the app registry ready.
        from apps.plans import signals

        signals.connect()
