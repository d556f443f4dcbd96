"""Console pages for developer settings. Writes go through ``apps.developer.services`` (as the API's)."""

from django.contrib import admin

from apps.developer import services
from apps.developer.admin_forms import AllowedDomainConsoleForm, ServerApiKeyConsoleForm
from apps.developer.models import AllowedDomain, ServerApiKey, ServiceToggle


@admin.register(ServerApiKey)
class ServerApiKeyAdmin(admin.ModelAdmin):
    form = ServerApiKeyConsoleForm
    list_display = ("name", "tenant", "secret_preview", "environment", "is_active", "last_used_at", "created_at")
    list_filter = ("environment", "is_active")
    search_fields = ("name", "public_id", "tenant__slug", "secret_last4")
    list_select_related = ("tenant",)
    exclude = ("secret_digest",)
    readonly_fields = (
        "public_id",
        "tenant",
        "secret_preview",
        "secret_last4",
        "last_used_at",
        "created_by",
        "created_at",
    )
    allow_add = False  # keys are created by the tenant (the secret is shown once, to them)

    def get_readonly_fields(self, request, obj=None):
        # The environment is written into the secret (rn_sk_live_/rn_sk_test_): never edited.
        return (*super().get_readonly_fields(request, obj), "environment")

    def save_model(self, request, obj, form, change):
        services.server_api_key_update(
            tenant=obj.tenant,
            public_id=obj.public_id,
            changes={"name": obj.name, "scopes": obj.scopes, "is_active": obj.is_active},
        )

    def delete_model(self, request, obj):
        services.server_api_key_delete(key=obj)

    def delete_queryset(self, request, queryset):
        for key in queryset:
            services.server_api_key_delete(key=key)


@admin.register(ServiceToggle)
class ServiceToggleAdmin(admin.ModelAdmin):
    list_display = ("tenant", "service", "admin_enabled", "updated_at")
    list_filter = ("service", "admin_enabled")
    search_fields = ("tenant__slug",)
    list_select_related = ("tenant",)

    def save_model(self, request, obj, form, change):
        services.service_toggle_save(toggle=obj)

    def delete_model(self, request, obj):
        services.service_toggle_delete(toggle=obj)

    def delete_queryset(self, request, queryset):
        for toggle in queryset:
            services.service_toggle_delete(toggle=toggle)


@admin.register(AllowedDomain)
class AllowedDomainAdmin(admin.ModelAdmin):
    form = AllowedDomainConsoleForm
    list_display = ("domain", "tenant", "created_at")
    search_fields = ("domain", "tenant__slug")
    list_select_related = ("tenant",)

    def get_readonly_fields(self, request, obj=None):
        return ("tenant",) if obj is not None else ()

    def save_model(self, request, obj, form, change):
        services.allowed_domain_save(tenant=obj.tenant, value=obj.domain, instance=obj if change else None)

    def delete_model(self, request, obj):
        services.allowed_domain_delete(domain=obj)

    def delete_queryset(self, request, queryset):
        for domain in queryset:
            services.allowed_domain_delete(domain=domain)
