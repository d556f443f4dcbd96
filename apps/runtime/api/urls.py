from apps.runtime.api import admin_sdk, sdk, server

urlpatterns = [
    *sdk.urlpatterns,
    *server.urlpatterns,
    *admin_sdk.urlpatterns,
]
