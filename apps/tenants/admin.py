"""Console pages for departments and positions. Tenants and users are composed in ``apps.platform.admin``."""

from django.contrib import admin

from apps.tenants.models import Department, Position


@admin.register(Department, Position)
class NamedTenantRowAdmin(admin.ModelAdmin):
    list_display = ("name", "tenant", "created_at")
    search_fields = ("name", "tenant__slug")
    list_select_related = ("tenant",)
