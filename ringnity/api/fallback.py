"""Envelopes for what never reaches a DRF view: unknown /api/ routes and crashes outside views."""

import json

from django.http import HttpResponse, JsonResponse


def api_not_found(request, *args, **kwargs) -> JsonResponse:
    return JsonResponse({"success": False, "code": "NOT_FOUND", "message": "No such API route."}, status=404)


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
