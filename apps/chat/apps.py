from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "apps.chat"
    label = "chat"
    verbose_name = "Chat"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here, not at module level: the counter reads models, which need the app registry ready.
        from apps.chat.events import EVENTS
        from apps.chat.selectors import STORAGE_QUOTA, attachment_storage_mb
        from apps.chat.services import contact_count
        from apps.plans import entitlements
        from apps.webhooks.catalog import register_events

        entitlements.register_usage_counter("contacts", contact_count)
        entitlements.register_usage_counter(STORAGE_QUOTA, attachment_storage_mb)
        register_events(EVENTS)
