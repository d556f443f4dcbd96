from django.apps import AppConfig


class BillingConfig(AppConfig):
    """AI pricing, prepaid AI balances, their ledger, AI usage and the metering service."""

    name = "apps.billing"
    label = "billing"
    verbose_name = "AI billing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here, not at module level: the counters read models, which need the app registry ready.
        from apps.billing import selectors
        from apps.plans import entitlements

        # Monthly AI quotas are counted from this app's AI usage log.
        entitlements.register_usage_counter("ai_chat_replies", selectors.ai_chat_replies_this_month)
        entitlements.register_usage_counter("ai_voice_minutes", selectors.ai_voice_minutes_this_month)
