"""Request ids: echoed from ``X-Request-Id`` when sane, generated otherwise, and put on every log line.

A Celery task enqueued during the request carries the id in its message headers and logs under it
too (``ringnity.ops.task_context`` binds it with ``request_id_bound``).

``RequestIdMiddleware`` is the project's one middleware in ``settings.MIDDLEWARE``, outermost; it
also sets the Content-Security-Policy of every HTML page (``ringnity.api.csp``), which needs the final
rendered response.
"""

import contextlib
import contextvars
import logging
import re
import uuid

from ringnity.api.csp import apply_content_security_policy

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def current_request_id() -> str:
    return _request_id.get()


def request_id_is_safe(value: str) -> bool:
    return bool(_SAFE_REQUEST_ID.match(value or ""))


@contextlib.contextmanager
def request_id_bound(request_id: str):
    """Every log line inside the block carries ``request_id`` (a request's, or the one a task inherited)."""
    token = _request_id.set(request_id)
    try:
        yield request_id
    finally:
        _request_id.reset(token)


class RequestIdMiddleware:
    header = "X-Request-Id"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get(self.header, "")
        request_id = incoming if request_id_is_safe(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        with request_id_bound(request_id):
            response = self.get_response(request)
        response[self.header] = request_id
        apply_content_security_policy(request, response)
        return response


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            # django.request logs 5xx answers after the middleware has returned; its record names the request.
            record.request_id = getattr(getattr(record, "request", None), "request_id", None) or current_request_id()
        return True
