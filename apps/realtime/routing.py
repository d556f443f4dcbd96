"""The WebSocket routes (``ringnity.asgi`` sends every WebSocket here; HTTP goes to Django)."""

from django.urls import path

from .consumers import GatewayConsumer
from .protocol import PATH

websocket_urlpatterns = [path(PATH, GatewayConsumer.as_asgi())]
