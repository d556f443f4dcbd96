from apps.developer.api import views

urlpatterns = [
    *views.urlpatterns,
]
