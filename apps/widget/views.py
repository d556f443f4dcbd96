"""``/widget/v1.js`` and the strings tables it loads.

The script runs on customers' pages, so everything here is public and cross-origin: any origin may load
it (``Access-Control-Allow-Origin: *``, no credentials, nothing private in it; ES modules and ``fetch``
need the header, a classic ``<script>`` does not). What the widget may *do* is decided by the API, which
answers CORS only for the tenant's allowed domains. ``v1`` is the compatibility line: changes within it
keep working for pages already embedding it, so caches may keep it a few minutes and then revalidate
by ETag.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.views.decorators.http import require_safe

from apps.widget import assets

#: Five minutes fresh, then revalidated (304 by ETag); a day of stale-while-revalidate keeps pages fast.
CACHE_CONTROL = "public, max-age=300, stale-while-revalidate=86400"


def _public_file(request, found: assets.Asset | None, content_type: str) -> HttpResponse:
    if found is None:
        raise Http404("No such widget file.")
    if found.etag in {tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")}:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(found.body, content_type=content_type)
    response["ETag"] = found.etag
    response["Cache-Control"] = CACHE_CONTROL
    response["Access-Control-Allow-Origin"] = "*"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_safe
def widget_script(request):
    return _public_file(request, assets.asset(assets.SCRIPT), "text/javascript; charset=utf-8")


@require_safe
def widget_strings(request, language: str):
    path = assets.strings_path(language)
    return _public_file(request, assets.asset(path) if path else None, "application/json; charset=utf-8")
