from apps.tenants.api import admin_sdk, auth, developer, runtime, server

urlpatterns = [
    *runtime.urlpatterns,
    *server.urlpatterns,
    *admin_sdk.urlpatterns,
    *auth.urlpatterns,
    *developer.urlpatterns,
]
