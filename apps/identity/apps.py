from django.apps import AppConfig


class IdentityConfig(AppConfig):
    """Owner and workspace dashboard sessions, Google sign-in and workspace entry tokens."""

    name = "apps.identity"
    label = "identity"
    verbose_name = "Dashboard sign-in"
    default_auto_field = "django.db.models.BigAutoField"
