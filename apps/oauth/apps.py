from django.apps import AppConfig


class OauthConfig(AppConfig):
    name = "apps.oauth"
    label = "oauth"
    verbose_name = "Login with Ringnity (OAuth/OIDC)"
    default_auto_field = "django.db.models.BigAutoField"
