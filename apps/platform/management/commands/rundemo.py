"""``make run``: the dev server, seeded with the demo, whose start-up output ends with the banner.

The autoreloader runs this command twice: a parent that only watches and restarts, and a child
that serves (``DJANGO_AUTORELOAD_ENV``). The parent seeds once and hands the banner to every child
through the environment; the first child prints it after the server is listening, later children
(after a code change) print one line. Quiet unless ``VERBOSE=1`` (or ``-v 2``).
"""

import os
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.management.commands.runserver import Command as RunserverCommand
from django.core.management.base import CommandError
from django.utils import autoreload

from apps.platform.demo import demo_seed, seed_banner
from ringnity.devserver import UvicornDevServer, asgi_handler

BANNER_ENV = "RINGNITY_DEMO_BANNER"
BASE_PLACEHOLDER = "{{base}}"
#: Bind-all addresses, published as the loopback address a browser on this machine can open.
_ANY_ADDRESS = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}  # noqa: S104 - read, not bound


def served_base_url(protocol: str, addr: str, port: int) -> str:
    """``http://127.0.0.1:8300``: where this server can be reached (IPv6 in brackets)."""
    host = _ANY_ADDRESS.get(addr, addr)
    return f"{protocol}://{f'[{host}]' if ':' in host else host}:{port}"


def public_urls_follow(base: str) -> None:
    """The OIDC issuer, discovery and call-link URLs (``RINGNITY_PUBLIC_URL``) and the dashboard URL
    (``RINGNITY_DASHBOARD_URL``) name the address served, unless the environment set them."""
    if not settings.RINGNITY_PUBLIC_URL_FROM_ENVIRONMENT:
        settings.RINGNITY_PUBLIC_URL = base
    if not settings.RINGNITY_DASHBOARD_URL_FROM_ENVIRONMENT:
        settings.RINGNITY_DASHBOARD_URL = base


def _verbose(options) -> bool:
    return options.get("verbosity", 1) > 1 or os.environ.get("VERBOSE", "") not in {"", "0"}


class Command(RunserverCommand):
    help = (
        "Seed the demo (DEBUG only), then serve like runserver (HTTP and the realtime WebSocket gateway on one "
        "port, by uvicorn) and end the start-up output with the demo banner."
    )
    server_cls = UvicornDevServer

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--new-key", action="store_true", help="Disable the demo Server API key, issue a new one.")

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("rundemo seeds well-known demo credentials; it runs only with DEBUG=true.")
        self.verbose = _verbose(options)
        if os.environ.get(autoreload.DJANGO_AUTORELOAD_ENV) != "true":
            seed = demo_seed(new_key=options["new_key"])
            if self.verbose:
                self.stdout.write("\n".join(seed.actions))
            os.environ[BANNER_ENV] = seed_banner(seed, BASE_PLACEHOLDER)
        super().handle(*args, **options)

    def get_handler(self, *args, **options):
        """The ASGI application (``ringnity.asgi``), static files included as runserver serves them."""
        self.server_cls.verbose = self.verbose
        return asgi_handler(static=options["use_static_handler"] and (settings.DEBUG or options["insecure_serving"]))

    def inner_run(self, *args, **options):
        if not self.verbose and not options["skip_checks"]:
            # The checks still run; only the "Performing system checks" chatter goes.
            self.check(display_num_errors=False)
            options = {**options, "skip_checks": True}
        super().inner_run(*args, **options)

    def on_bind(self, server_port):
        if self.verbose:
            super().on_bind(server_port)
        base = served_base_url(self.protocol, self.addr, server_port)
        public_urls_follow(base)
        marker = Path(settings.DATA_DIR) / f".rundemo-{os.getppid()}"
        if marker.exists():
            self.stdout.write(f"Reloaded: {base}/")
            return
        if os.environ.get(autoreload.DJANGO_AUTORELOAD_ENV) == "true":
            for stale in marker.parent.glob(".rundemo-*"):
                stale.unlink(missing_ok=True)
            marker.touch()
        self.stdout.write(os.environ.get(BANNER_ENV, "").replace(BASE_PLACEHOLDER, base))
