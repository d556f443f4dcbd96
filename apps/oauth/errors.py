"""OAuth protocol errors: ``{"error", "error_description"}`` (the contract's ``OAuthError``), never the envelope."""

from __future__ import annotations

from django.http import JsonResponse

#: The contract's ``OAuthError`` codes.
CONTRACT_ERRORS = (
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "temporarily_unavailable",
)
#: Codes the protocols define that the contract's list lacks, sent where the RFCs say: RFC 6750
#: (bearer resources: 401 ``invalid_token``, 403 ``insufficient_scope``), RFC 6749 4.1.2.1 (authorize)
#: and OpenID Connect Core 3.1.2.6 (``prompt=none``). Documented in the generated schema.
ADDITIONS = (
    "invalid_token",
    "insufficient_scope",
    "unsupported_response_type",
    "access_denied",
    "server_error",
    "login_required",
    "consent_required",
    "interaction_required",
)
OAUTH_ERRORS = CONTRACT_ERRORS + ADDITIONS


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
