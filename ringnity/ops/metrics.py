"""Prometheus metrics, served at ``/metrics`` to holders of ``OPS_TOKEN``.

Imported by every process (web, Celery, gateway), so it imports prometheus_client and settings only;
the middleware is ``ringnity.ops.middleware``, the scrape view ``ringnity.ops.views.MetricsView``.

With ``PROMETHEUS_MULTIPROC_DIR`` set (``make serve`` sets it for every process it starts) each
process writes its values to files there and one scrape of any gunicorn worker sums them all: the
web workers, both Celery workers and the realtime gateway. Without it the scrape shows the one
process that answers (development).

What is measured:

* ``ringnity_http_requests_total{method, route, status}`` and
  ``ringnity_http_request_duration_seconds{method, route}``: by route, the URL pattern
  (``api/server/contacts/<str:id>``), never the raw path;
* ``ringnity_http_request_db_queries{method, route}``: database queries per request;
* ``ringnity_celery_queue_depth{queue}``: messages waiting in the broker, read at scrape time;
* ``ringnity_celery_tasks_total{task, state}``: finished tasks;
* ``ringnity_webhook_attempts_total{outcome}``: ``webhook_attempt(outcome)`` from the delivery code;
* ``ringnity_realtime_connections``: open WebSockets, summed over live gateway processes; the
  gateway calls ``realtime_connection_opened()`` / ``realtime_connection_closed()``, and whoever
  supervises a process calls ``process_exited(pid)`` when it ends (gunicorn: ``child_exit``).
"""

from __future__ import annotations

import os

from celery import current_app
from django.conf import settings
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

disable_created_metrics()  # no *_created series: they double every series and no query uses them
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # each process writes its files there from its first metric on
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

HTTP_REQUESTS = Counter(
    "ringnity_http_requests_total",
    "HTTP requests by route (URL pattern), method and status.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "ringnity_http_request_duration_seconds",
    "Time from the request reaching Django to the response leaving it.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
HTTP_QUERIES = Histogram(
    "ringnity_http_request_db_queries",
    "Database queries per request.",
    ["method", "route"],
    buckets=(0, 1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 50),
)
CELERY_TASKS = Counter(
    "ringnity_celery_tasks_total", "Finished Celery tasks by task name and state.", ["task", "state"]
)
WEBHOOK_ATTEMPTS = Counter("ringnity_webhook_attempts_total", "Webhook delivery attempts by outcome.", ["outcome"])
REALTIME_CONNECTIONS = Gauge(
    "ringnity_realtime_connections", "Open realtime (WebSocket) connections.", multiprocess_mode="livesum"
)
UNMATCHED_ROUTE = "<unmatched>"


def webhook_attempt(outcome: str) -> None:
    """One webhook delivery attempt ended: ``delivered``, ``retrying``, ``failed``, ..."""
    WEBHOOK_ATTEMPTS.labels(outcome).inc()


def realtime_connection_opened() -> None:
    REALTIME_CONNECTIONS.inc()


def realtime_connection_closed() -> None:
    REALTIME_CONNECTIONS.dec()


def process_exited(pid: int) -> None:
    """Drops a finished process's live gauges (multiprocess mode); its counters keep counting."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(pid)


def task_finished(task: str, state: str, duration_seconds: float) -> None:
    CELERY_TASKS.labels(task, state).inc()


def monitored_queues() -> list[str]:
    """The default queue and every queue a task route names (``CELERY_TASK_ROUTES``)."""
    routed = {route.get("queue") for route in settings.CELERY_TASK_ROUTES.values() if isinstance(route, dict)}
    return sorted({getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery"), *filter(None, routed)})


class QueueDepthCollector:
    """Reads each queue's length from the broker at scrape time (a passive declare; no message is touched)."""

    def collect(self):
        depth = GaugeMetricFamily(
            "ringnity_celery_queue_depth", "Messages waiting in each Celery queue.", labels=["queue"]
        )
        if not settings.CELERY_TASK_ALWAYS_EAGER:
            with current_app.connection_for_read() as conn:
                conn.ensure_connection(
                    max_retries=1, interval_start=0, interval_step=0, timeout=settings.HEALTH_CHECK_TIMEOUT_SECONDS
                )
                channel = conn.default_channel
                for queue in monitored_queues():
                    try:
                        _, count, _ = channel.queue_declare(queue=queue, passive=True)
                    except Exception:  # a queue nobody declared yet holds nothing
                        count = 0
                    depth.add_metric([queue], count)
        yield depth


def exposition() -> bytes:
    """The text a scrape returns: every process's values (multiprocess mode) or this one's, plus queue depth."""
    registry = CollectorRegistry()
    registry.register(QueueDepthCollector())
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY) + generate_latest(registry)
