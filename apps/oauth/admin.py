"""Console pages of Login with Ringnity: the OAuth clients with their tenant and status, and remembered consents.

django-oauth-toolkit registers its own page for the (swapped-in) client model; this one replaces it
with the columns support needs. The console's rules apply on top (``apps.platform.console``): the
client secret column is never listed nor searchable, and support reads only. ID tokens are a record
of what was issued: read-only here (the toolkit's own page would let an operator add and edit them).
"""

from django.contrib import admin
from oauth2_provider.admin import IDTokenAdmin
from oauth2_provider.models import get_id_token_model

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


class ReadOnlyIDTokenAdmin(IDTokenAdmin):
    read_only_model = True  # the console's attribute: no add, change or delete for any role


for model, model_admin in ((OAuthClient, OAuthClientAdmin), (get_id_token_model(), ReadOnlyIDTokenAdmin)):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
