"""The ASGI application: HTTP to Django, WebSocket (``/realtime/v1``) to the realtime gateway.

Served by ``make run`` (daphne's runserver, one port for both) and in production by
``uvicorn ringnity.asgi:application`` (see the README's Production section).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ringnity.settings")
django_application = get_asgi_application()  # sets Django up before the gateway's modules are imported

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from apps.realtime.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter({"http": django_application, "websocket": URLRouter(websocket_urlpatterns)})
