"""OAuth protocol errors: ``{"error", "error_description"}`` (the contract's ``OAuthError``), never the envelope."""

from __future__ import annotations

from django.http import JsonResponse


class OAuthProtocolError(Exception):
    def __init__(self, error: str, description: str = "", *, status: int = 400, headers: dict | None = None):
        super().__init__(description or error)
        self.error = error
        self.description = description
        self.status = status
        self.headers = headers or {}


def oauth_error_response(error: str, description: str = "", *, status: int = 400, headers=None) -> JsonResponse:
    body = {"error": error}
    if description:
        body["error_description"] = description
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response[name] = value
    if error in ("invalid_token", "insufficient_scope") and "WWW-Authenticate" not in response:
        response["WWW-Authenticate"] = f'Bearer realm="api", error="{error}"'
    return response
