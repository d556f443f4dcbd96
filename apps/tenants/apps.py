from django.apps import AppConfig


class TenantsConfig(AppConfig):
    """Tenants, staff users (AUTH_USER_MODEL), departments, positions and the tenancy base model."""

    name = "apps.tenants"
    label = "tenants"
    verbose_name = "Tenants"
    default_auto_field = "django.db.models.BigAutoField"
