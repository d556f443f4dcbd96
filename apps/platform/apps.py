from django.apps import AppConfig


class PlatformConfig(AppConfig):
    name = "apps.platform"
    label = "platform"
    verbose_name = "Platform"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.platform import entitlements, selectors

        # Monthly AI quotas are counted from this app's AI usage log.
        entitlements.register_usage_counter("ai_chat_replies", selectors.ai_chat_replies_this_month)
        entitlements.register_usage_counter("ai_voice_minutes", selectors.ai_voice_minutes_this_month)
