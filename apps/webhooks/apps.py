from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "apps.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.plans.entitlements import register_usage_counter
        from apps.webhooks.services import active_endpoint_count

        # The plan quota `webhooks` counts active endpoints.
        register_usage_counter("webhooks", active_endpoint_count)
