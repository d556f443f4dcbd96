"""Console pages of Login with Ringnity: the OAuth clients with their tenant and status, and remembered consents.

django-oauth-toolkit registers its own page for the (swapped-in) client model; this one replaces it
with the columns support needs. The console's rules apply on top (``apply_console_roles``): the
client secret column is never listed nor searchable, and support reads only.
"""

from django.contrib import admin

from apps.oauth.models import OAuthClient, OAuthConsent


class OAuthClientAdmin(admin.ModelAdmin):
    list_display = ("name", "client_id", "tenant", "client_type", "status", "require_pkce", "last_used_at", "created")
    list_filter = ("status", "client_type")
    search_fields = ("name", "client_id", "tenant__slug")
    list_select_related = ("tenant",)
    raw_id_fields = ("tenant", "user")


@admin.register(OAuthConsent)
class OAuthConsentAdmin(admin.ModelAdmin):
    list_display = ("user", "client", "tenant", "scopes", "created_at")
    search_fields = ("tenant__slug", "client__client_id")
    list_select_related = ("user", "client", "tenant")
    raw_id_fields = ("tenant", "user", "client")
    read_only_model = True  # the console's attribute: consents are given by users on the consent page only


if admin.site.is_registered(OAuthClient):
    admin.site.unregister(OAuthClient)
admin.site.register(OAuthClient, OAuthClientAdmin)
