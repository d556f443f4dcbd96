from django.apps import AppConfig


class OauthConfig(AppConfig):
    name = "apps.oauth"
    label = "oauth"
    verbose_name = "Login with Ringnity (OAuth/OIDC)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.oauth import checks, services  # noqa: F401  (registers the system checks)
        from apps.plans import entitlements

        entitlements.register_usage_counter("oauth_clients", services.active_client_count)
