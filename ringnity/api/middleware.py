"""Request ids: echoed from ``X-Request-Id`` when sane, generated otherwise, and put on every log line.

``RequestIdMiddleware`` is the project's one middleware in ``settings.MIDDLEWARE``, outermost; it
also sets the Content-Security-Policy of the console and docs pages (``ringnity.api.csp``), which
needs the final rendered response.
"""

import contextvars
import logging
import re
import uuid

from ringnity.api.csp import apply_content_security_policy

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def current_request_id() -> str:
    return _request_id.get()


class RequestIdMiddleware:
    header = "X-Request-Id"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get(self.header, "")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = _request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response[self.header] = request_id
        apply_content_security_policy(request, response)
        return response


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True
