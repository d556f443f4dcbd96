import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ringnity.settings")

app = Celery("ringnity")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Tasks log under the request id of the request that enqueued them (connects Celery signals).
import ringnity.ops.task_context  # noqa: E402, F401


@app.task(name="ringnity.ping", ignore_result=True)
def ping(token: str) -> None:
    """Liveness probe for the broker → worker → cache path: ``celery -A ringnity call ringnity.ping --args='["x"]'``."""
    from django.core.cache import cache

    cache.set(f"celery-ping:{token}", "pong", timeout=300)
