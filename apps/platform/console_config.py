from django.contrib.admin.apps import AdminConfig


class ConsoleAdminConfig(AdminConfig):
    """``django.contrib.admin`` with the console's site (role rules applied as each page is registered)."""

    default_site = "apps.platform.console.ConsoleSite"
