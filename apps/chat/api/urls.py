from django.urls import path

from apps.chat.api.views import ContactCollectionView, ContactDetailView

urlpatterns = [
    path("server/contacts", ContactCollectionView.as_view(), name="server-contacts"),
    path("server/contacts/<str:id>", ContactDetailView.as_view(), name="server-contact"),
]
