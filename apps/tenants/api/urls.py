from apps.tenants.api import runtime

urlpatterns = [
    *runtime.urlpatterns,
]
