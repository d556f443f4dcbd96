from apps.tenants.api import auth, developer, runtime

urlpatterns = [
    *runtime.urlpatterns,
    *auth.urlpatterns,
    *developer.urlpatterns,
]
