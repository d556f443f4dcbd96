from apps.runtime.api import admin_sdk, sdk, server, workspace

urlpatterns = [
    *sdk.urlpatterns,
    *server.urlpatterns,
    *admin_sdk.urlpatterns,
    *workspace.urlpatterns,
]
