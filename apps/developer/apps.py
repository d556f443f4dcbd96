from django.apps import AppConfig


class DeveloperConfig(AppConfig):
    """Allowed SDK origins, service toggles, Server API keys and the Server API base view."""

    name = "apps.developer"
    label = "developer"
    verbose_name = "Developer settings"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here, not at module level: the counters read models, which need the app registry ready.
        from django.db.models.signals import post_delete, post_save

        from apps.developer import services, signals
        from apps.developer.models import ServerApiKey
        from apps.plans import entitlements
        from apps.tenants.models import Tenant

        # Quotas counted from this app's rows: active Server API keys and allowed domains.
        entitlements.register_usage_counter("server_api_keys", services.active_server_key_count)
        entitlements.register_usage_counter("allowed_domains", services.allowed_domain_count)
        # A rotated, disabled or deleted key, or a suspended tenant, stops authenticating (cache generation).
        for model, signal in ((ServerApiKey, post_save), (ServerApiKey, post_delete), (Tenant, post_save)):
            signal.connect(signals.server_key_or_tenant_changed, sender=model, dispatch_uid=f"server-key-cache-{model}")
