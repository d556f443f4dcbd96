from django.urls import path

from apps.webhooks.api.views import WebhookCollectionView, WebhookDeliveryListView, WebhookDetailView, WebhookTestView

urlpatterns = [
    path("server/webhooks", WebhookCollectionView.as_view(), name="server-webhooks"),
    path("server/webhooks/deliveries", WebhookDeliveryListView.as_view(), name="server-webhook-deliveries"),
    path("server/webhooks/test", WebhookTestView.as_view(), name="server-webhook-test"),
    path("server/webhooks/<str:id>", WebhookDetailView.as_view(), name="server-webhook"),
]
