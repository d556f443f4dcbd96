from django.apps import AppConfig


class DeveloperConfig(AppConfig):
    """Allowed SDK origins, service toggles, Server API keys and the Server API base view."""

    name = "apps.developer"
    label = "developer"
    verbose_name = "Developer settings"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here, not at module level: the counters read models, which need the app registry ready.
        from apps.developer import services
        from apps.plans import entitlements

        # Quotas counted from this app's rows: active Server API keys and allowed domains.
        entitlements.register_usage_counter("server_api_keys", services.active_server_key_count)
        entitlements.register_usage_counter("allowed_domains", services.allowed_domain_count)
