"""HTTP hygiene the WSGI server does not provide (found by an outside probe under gunicorn).

* ``HeadWithoutBodyMiddleware``: a HEAD answer has the GET answer's headers and no body (RFC 9110).
  Django's ``runserver`` and test client strip it, gunicorn does not; a body left on a kept-alive
  connection is read as the next answer, so behind a proxy that reuses upstream connections one
  client's report could reach another. ``Content-Length`` still tells the GET answer's length.
* ``PrivateApiResponsesMiddleware``: every ``/api`` answer belongs to one credential, and several are
  authenticated by ``X-Ringnity-*`` headers that shared caches do not treat like ``Authorization``:
  ``Cache-Control: no-store`` unless a view chose its own caching.
* ``ChunkedBodyRefusedMiddleware``: a chunked request body reaches Django as an empty body (WSGI
  reads ``Content-Length``), so ``{"url": ...}`` became "url: required". It is refused with 411
  ``LENGTH_REQUIRED`` instead of being silently dropped.
* ``NulInPathRefusedMiddleware``: no id, slug or route holds a NUL, and PostgreSQL refuses one in any
  text value (``DataError``). A path with one (``/api/server/webhooks/a%00b``) is a 404 before any
  view runs: the JSON 404 envelope under ``/api``, Django's 404 elsewhere. One rule for every path
  parameter of every route, present and future, instead of a guard in each lookup.
* ``RateLimitHeadersMiddleware``: the ``RateLimit-*`` fields of the request's tightest budget
  (``ringnity.api.throttling.RequestRateThrottle``) on whatever answer the request got, errors included.
"""

from django.http import Http404, JsonResponse

from ringnity.api.errors import ErrorCode
from ringnity.api.fallback import api_not_found
from ringnity.api.throttling import RATE_STATE_ATTRIBUTE, rate_limit_headers

API_PREFIX = "/api"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class HeadWithoutBodyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method == "HEAD":
            if response.streaming:
                response.streaming_content = iter(())  # the original stream is still closed by Django
            else:
                length = len(response.content)
                response.content = b""
                response["Content-Length"] = str(length)
        return response


class PrivateApiResponsesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path_info.startswith(API_PREFIX) and not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-store"
        return response


class ChunkedBodyRefusedMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked and request.method in BODY_METHODS and not request.META.get("CONTENT_LENGTH"):
            body = {
                "success": False,
                "code": ErrorCode.LENGTH_REQUIRED.value,
                "message": "Send the request body with a Content-Length header; chunked bodies are not accepted.",
            }
            return JsonResponse(body, status=411)
        return self.get_response(request)


class NulInPathRefusedMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path_info:
            if request.path_info.startswith(API_PREFIX):
                return api_not_found(request)
            raise Http404("No page has a NUL in its address.")
        return self.get_response(request)


class RateLimitHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        state = getattr(request, RATE_STATE_ATTRIBUTE, None)
        if state is not None:
            for name, value in rate_limit_headers(state).items():
                response[name] = value
        return response
