from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "apps.tenants"
    label = "tenants"
    verbose_name = "Tenants"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.platform import entitlements
        from apps.tenants import (
            developer_services,
            runtime_selectors,  # noqa: F401 - connects the runtime bootstrap cache's receivers
        )

        # Quotas counted from this app's rows: active Server API keys and allowed domains.
        entitlements.register_usage_counter("server_api_keys", developer_services.active_server_key_count)
        entitlements.register_usage_counter("allowed_domains", developer_services.allowed_domain_count)
