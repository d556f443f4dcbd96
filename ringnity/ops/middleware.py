"""Per-request metrics (by route, never the raw path) and one structured access log line."""

import logging
import time

from django.db import connection

from ringnity.ops.metrics import HTTP_LATENCY, HTTP_QUERIES, HTTP_REQUESTS, UNMATCHED_ROUTE

access_log = logging.getLogger("ringnity.access")


def _route(request) -> str:
    match = getattr(request, "resolver_match", None)
    return match.route if match is not None and match.route else UNMATCHED_ROUTE


class RequestMetricsMiddleware:
    """Counts, times and query-counts each request by route, and writes one access log line."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        queries = 0

        def count(execute, sql, params, many, context):
            nonlocal queries
            queries += 1
            return execute(sql, params, many, context)

        started = time.perf_counter()
        with connection.execute_wrapper(count):
            response = self.get_response(request)
        duration = time.perf_counter() - started
        route = _route(request)
        method = request.method
        HTTP_REQUESTS.labels(method, route, str(response.status_code)).inc()
        HTTP_LATENCY.labels(method, route).observe(duration)
        HTTP_QUERIES.labels(method, route).observe(queries)
        access_log.info(
            "request",
            extra={
                "method": method,
                "path": request.path,
                "route": route,
                "status": response.status_code,
                "duration_ms": round(duration * 1000, 2),
                "db_queries": queries,
            },
        )
        return response
