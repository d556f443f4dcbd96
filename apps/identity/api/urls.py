from apps.identity.api import views

urlpatterns = [
    *views.urlpatterns,
]
