"""Envelopes for what never reaches a DRF view: unknown /api routes and crashes outside views.

``api_not_found`` answers every method on every unknown ``/api`` path (``/api`` itself, wrong case,
a stray trailing slash). It is CSRF-exempt like every API view: an unknown route is a 404 whatever
the method, never Django's HTML CSRF page. When the path exists with or without a trailing slash, or
in lower case, the answer says so in ``details``.
"""

import json

from django.http import HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt


def _served(path: str, urlconf) -> bool:
    try:
        match = resolve(path, urlconf)
    except Resolver404:
        return False
    return match.func is not api_not_found


def route_hints(request) -> list[str]:
    """``details`` naming the real route a near miss meant (trailing slash, letter case)."""
    path = request.path_info
    urlconf = getattr(request, "urlconf", None)
    if path.endswith("/") and len(path) > 1 and _served(path.rstrip("/"), urlconf):
        return [f"{path.rstrip('/')} exists: send the path without the trailing slash."]
    if not path.endswith("/") and _served(path + "/", urlconf):
        return [f"{path}/ exists: send the path with a trailing slash."]
    lower = path.lower()
    if lower != path:
        for candidate in (lower, lower.rstrip("/"), lower + "/"):
            if _served(candidate, urlconf):
                return [f"{candidate} exists: paths are case-sensitive."]
    return []


@csrf_exempt
def api_not_found(request, *args, **kwargs) -> JsonResponse:
    body = {"success": False, "code": "NOT_FOUND", "message": "No such API route."}
    hints = route_hints(request)
    if hints:
        body["details"] = hints
    return JsonResponse(body, status=404)


def bad_request(request, exception=None, *args, **kwargs) -> HttpResponse:
    """Django's 400 (e.g. a Host outside ALLOWED_HOSTS) as an envelope under /api/."""
    if request.path.startswith("/api/"):
        body = {"success": False, "code": "BAD_REQUEST", "message": "Bad request."}
        return HttpResponse(json.dumps(body), status=400, content_type="application/json")
    return HttpResponse("<h1>Bad request</h1>", status=400)


def server_error(request, *args, **kwargs) -> HttpResponse:
    if request.path.startswith("/api/"):
        body = {"success": False, "code": "INTERNAL_ERROR", "message": "Internal server error."}
        return HttpResponse(json.dumps(body), status=500, content_type="application/json")
    return HttpResponse("<h1>Server error</h1>", status=500)
