from django.apps import AppConfig


class PlatformConfig(AppConfig):
    name = "apps.platform"
    label = "platform"
    verbose_name = "Platform"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.platform import entitlements, selectors, signals

        signals.connect()
        # Monthly AI quotas are counted from this app's AI usage log.
        entitlements.register_usage_counter("ai_chat_replies", selectors.ai_chat_replies_this_month)
        entitlements.register_usage_counter("ai_voice_minutes", selectors.ai_voice_minutes_this_month)
        self._console()

    @staticmethod
    def _console() -> None:
        """Completes the console once every app's admin module is imported (admin's ready() runs first)."""
        from django.conf import settings

        if "django.contrib.admin" not in settings.INSTALLED_APPS:
            return
        from apps.platform import admin as console
        from apps.platform.admin_tenants import register_remaining

        register_remaining()
        console.apply_console_roles()
