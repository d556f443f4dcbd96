"""Celery tasks log under the request id of the request that enqueued them.

The publisher (a web request, or a task enqueuing another) adds ``request_id`` to the message
headers; the worker binds it around the task, so every log line the task writes carries it, and
one ``task finished`` line records name, id, state and duration. Connected on import by
``ringnity.celery``.
"""

import logging
import time

from celery import signals

from ringnity.api.middleware import current_request_id, request_id_bound, request_id_is_safe
from ringnity.ops import metrics

HEADER = "request_id"
logger = logging.getLogger("ringnity.tasks")
_running: dict[str, tuple] = {}


@signals.before_task_publish.connect
def _add_request_id(headers=None, **_):
    request_id = current_request_id()
    if headers is not None and request_id != "-" and HEADER not in headers:
        headers[HEADER] = request_id


@signals.task_prerun.connect
def _bind_request_id(task_id=None, task=None, **_):
    incoming = getattr(task.request, HEADER, None) or ""
    if not request_id_is_safe(incoming):  # an eager task runs inside the request and keeps its id
        incoming = current_request_id() if current_request_id() != "-" else f"task-{task_id}"
    context = request_id_bound(incoming)
    context.__enter__()
    _running[task_id] = (context, time.perf_counter())


@signals.task_postrun.connect
def _log_finished(task_id=None, task=None, state=None, **_):
    context, started = _running.pop(task_id, (None, None))
    if context is None:
        return
    duration = time.perf_counter() - started
    metrics.task_finished(task.name, state or "UNKNOWN", duration)
    logger.info(
        "task finished",
        extra={"task": task.name, "task_id": task_id, "state": state, "duration_ms": round(duration * 1000, 2)},
    )
    context.__exit__(None, None, None)
