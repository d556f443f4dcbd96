from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "apps.chat"
    label = "chat"
    verbose_name = "Chat"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.chat.services import contact_count
        from apps.platform import entitlements

        entitlements.register_usage_counter("contacts", contact_count)
        # The SDK bootstrap cache listens to Tenant/AllowedDomain/ServiceToggle saves.
        # It lives in apps.tenants, whose AppConfig this issue may not edit; importing it
        # here connects its receivers at start-up (see runtime_selectors' docstring).
        import apps.tenants.runtime_selectors  # noqa: F401
