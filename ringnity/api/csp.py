"""Content-Security-Policy for every HTML page this server renders: the platform console, the API docs,
the landing page ``/`` and the HTML error pages (404, 400, 500). A page that sets its own policy (the
OAuth sign-in and consent pages, attachment downloads) keeps it.

The console and docs run without a CDN (drf-spectacular-sidecar serves Swagger UI and Redoc), so scripts come from
this origin only. The few inline ``<script>`` blocks (Swagger UI's bootstrap, Redoc's ``Redoc.init``,
the admin's templates) are allowed by their SHA-256 hash, computed from the response being sent,
so a template change never needs a policy edit and an injected script never runs. Styles allow
``'unsafe-inline'``: Redoc (styled-components) and Swagger UI insert style elements at run time.
Redoc builds its search index in a ``blob:`` worker.
"""

import base64
import hashlib
import re

_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)

BASE_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "worker-src": ["'self'", "blob:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def inline_script_hashes(html: str) -> list[str]:
    hashes = []
    for body in _INLINE_SCRIPT.findall(html):
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        source = f"'sha256-{digest}'"
        if body.strip() and source not in hashes:
            hashes.append(source)
    return hashes


def policy_for(html: str) -> str:
    directives = {**BASE_POLICY, "script-src": [*BASE_POLICY["script-src"], *inline_script_hashes(html)]}
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def apply_content_security_policy(request, response) -> None:
    """Sets the policy on an HTML response that has none (JSON and files need none)."""
    if "Content-Security-Policy" in response:
        return
    if getattr(response, "streaming", False) or "text/html" not in response.get("Content-Type", ""):
        return
    html = response.content.decode(response.charset or "utf-8", errors="replace")
    response["Content-Security-Policy"] = policy_for(html)
