from django.apps import AppConfig


class PlansConfig(AppConfig):
    """Plan catalog, subscriptions, the entitlement engine and the usage-counter registry."""

    name = "apps.plans"
    label = "plans"
    verbose_name = "Plans"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here, not at module level: models and signals need the app registry ready.
        from apps.plans import checks, entitlements, services, signals  # noqa: F401 - checks registers itself
        from apps.tenants import selectors as tenant_selectors
        from apps.tenants import services as tenant_services
        from ringnity.api import throttling

        signals.connect()
        # Staff seats are the tenants app's rows; the plan limits them (``agents``) on every path that adds one.
        entitlements.register_usage_counter("agents", tenant_selectors.staff_seat_count)
        tenant_services.register_staff_seat_guard(services.agent_seats_require)
        # Every API request's budgets come from the tenant's plan (RateLimit-* headers).
        throttling.register_rate_limit_source(entitlements.api_rate_limits)
