"""``make run`` serves HTTP and WebSocket on one port: Django's runserver (autoreload, checks, static
files) with uvicorn in place of its WSGI server.

``runserver`` builds its server as ``server_cls(address, handler_class, ipv6=...)``, calls
``set_app(handler)`` and ``serve_forever()``; ``UvicornDevServer`` keeps that contract. It binds the
socket itself, so ``server_port`` is known at once (port 0 works) and runserver's ``on_bind`` sees it.
The handler it is given is the ASGI application (``asgi_handler``), with static files in DEBUG as
runserver serves them, each with ``Access-Control-Allow-Origin: *`` as the production proxy sends them
(README, Production): they are public and hold no secret, and an ES module another origin imports
(``/static/calls/rtc.js`` from the widget on a customer's page) is fetched in CORS mode.
"""

from __future__ import annotations

import socket

import uvicorn
from django.conf import settings
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.utils.module_loading import import_string


class PublicStaticFilesHandler(ASGIStaticFilesHandler):
    """Django's static files handler; every file may be read from any origin (module docstring)."""

    async def get_response_async(self, request):
        response = await super().get_response_async(request)
        response["Access-Control-Allow-Origin"] = "*"
        return response


def asgi_handler(*, static: bool):
    application = import_string(settings.ASGI_APPLICATION)
    return PublicStaticFilesHandler(application) if static else application


def application_with_static():
    """``uvicorn --factory ringnity.devserver:application_with_static``: what ``make run`` serves, in a
    process of its own (the browser tests' server: pages, static files, the API and the gateway on one port)."""
    return asgi_handler(static=True)


class UvicornDevServer:
    verbose = False

    def __init__(self, server_address, handler_class=None, ipv6: bool = False) -> None:
        self.socket = socket.socket(socket.AF_INET6 if ipv6 else socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(server_address[:2])
        self.socket.listen(2048)
        self.server_port = self.socket.getsockname()[1]
        self.application = None

    def set_app(self, application) -> None:
        self.application = application

    def serve_forever(self) -> None:
        config = uvicorn.Config(
            self.application,
            ws="websockets",
            ws_per_message_deflate=False,  # ~100 KB per socket for little gain on small JSON frames (bench/realtime.py)
            lifespan="off",
            log_level="info" if self.verbose else "warning",
            access_log=self.verbose,
        )
        uvicorn.Server(config).run(sockets=[self.socket])
