"""gunicorn for the REST API: ``gunicorn --config python:ringnity.ops.gunicorn_conf``.

The application is ``ringnity.wsgi:application``, or ``ringnity.asgi:application`` under an ASGI
worker class (``uvicorn.workers.UvicornWorker``, measured in ``bench/servers.py``). Everything from
the environment (``ringnity.ops.processes`` for the defaults): ``HOST``/``PORT``,
``WEB_WORKER_CLASS``, ``WEB_CONCURRENCY``, ``WEB_THREADS``, ``SHUTDOWN_GRACE_SECONDS``. SIGTERM
drains: the master stops accepting and gives in-flight requests the grace period to finish.
"""

import os

from ringnity.ops import metrics
from ringnity.ops.processes import setting

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8192')}"
worker_class = setting("WEB_WORKER_CLASS")
wsgi_app = "ringnity.asgi:application" if "uvicorn" in worker_class.lower() else "ringnity.wsgi:application"
workers = int(setting("WEB_CONCURRENCY"))
threads = int(setting("WEB_THREADS"))
graceful_timeout = int(setting("SHUTDOWN_GRACE_SECONDS"))
timeout = 30
keepalive = 5
# gunicorn's largest request line and header field (its defaults, 4094 for the line, answered long /api
# paths with its own HTML 400). A proxy keeping nginx's default 8 KB header buffers refuses anything
# larger before it gets here (README, Production), so every request it passes gets the API's envelope.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
accesslog = None  # the application logs one JSON line per request (logger ringnity.access)
errorlog = "-"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "ringnity.ops.logs.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "loggers": {"gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}


def child_exit(server, worker):
    """A finished worker's live gauges leave the sums (Prometheus multiprocess mode)."""
    metrics.process_exited(worker.pid)
