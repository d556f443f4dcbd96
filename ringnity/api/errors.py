"""The one error type of the API and the one list of error codes.

``ErrorCode`` holds the contract's codes first, then our documented additions.
The generated schema publishes the whole enum, and the contract test harness
accepts exactly these additions, so every code the server can send is written
down here and nowhere else.
"""

from enum import StrEnum


class ErrorCode(StrEnum):
    # --- codes from the contract (docs/contract/ringnity-openapi.json) ---
    SDK_CLIENT_NOT_FOUND = "SDK_CLIENT_NOT_FOUND"
    SDK_CLIENT_INACTIVE = "SDK_CLIENT_INACTIVE"
    SDK_ORIGIN_NOT_ALLOWED = "SDK_ORIGIN_NOT_ALLOWED"
    SDK_CONTEXT_TOKEN_INVALID = "SDK_CONTEXT_TOKEN_INVALID"
    SDK_BOOTSTRAP_FAILED = "SDK_BOOTSTRAP_FAILED"
    SDK_SESSION_FAILED = "SDK_SESSION_FAILED"
    SDK_SESSION_REQUIRED = "SDK_SESSION_REQUIRED"
    SDK_DEVICE_TOKEN_INVALID = "SDK_DEVICE_TOKEN_INVALID"
    SDK_DEVICE_TOKEN_REGISTER_FAILED = "SDK_DEVICE_TOKEN_REGISTER_FAILED"
    SDK_DEVICE_TOKEN_UNREGISTER_FAILED = "SDK_DEVICE_TOKEN_UNREGISTER_FAILED"
    SDK_VERSION_UNSUPPORTED = "SDK_VERSION_UNSUPPORTED"
    FEATURE_NOT_AVAILABLE = "FEATURE_NOT_AVAILABLE"
    SERVER_API_KEY_INVALID = "SERVER_API_KEY_INVALID"
    SERVER_API_CONTEXT_MISSING = "SERVER_API_CONTEXT_MISSING"
    SERVER_API_SCOPE_DENIED = "SERVER_API_SCOPE_DENIED"
    SERVER_CONTACT_VALIDATION_FAILED = "SERVER_CONTACT_VALIDATION_FAILED"
    SERVER_WEBHOOK_VALIDATION_FAILED = "SERVER_WEBHOOK_VALIDATION_FAILED"
    SERVER_WEBHOOK_NOT_FOUND = "SERVER_WEBHOOK_NOT_FOUND"
    SERVER_API_REPORTS_FAILED = "SERVER_API_REPORTS_FAILED"
    ADMIN_SDK_REPORTS_FAILED = "ADMIN_SDK_REPORTS_FAILED"
    REPORT_DATE_RANGE_INVALID = "REPORT_DATE_RANGE_INVALID"
    TOKEN_EXPIRED = "TOKEN_EXPIRED"
    RATE_LIMITED = "RATE_LIMITED"
    NETWORK_ERROR = "NETWORK_ERROR"
    NETWORK_UNAVAILABLE = "NETWORK_UNAVAILABLE"
    REALTIME_DISCONNECTED = "REALTIME_DISCONNECTED"
    CALL_PERMISSION_DENIED = "CALL_PERMISSION_DENIED"
    CALL_SESSION_CONVERSATION_REQUIRED = "CALL_SESSION_CONVERSATION_REQUIRED"
    CALL_SESSION_TYPE_INVALID = "CALL_SESSION_TYPE_INVALID"
    CALL_SESSION_NOT_FOUND = "CALL_SESSION_NOT_FOUND"
    CALL_SESSION_CREATE_FAILED = "CALL_SESSION_CREATE_FAILED"
    CALL_SESSION_READ_FAILED = "CALL_SESSION_READ_FAILED"
    CALL_SESSION_END_FAILED = "CALL_SESSION_END_FAILED"
    AI_NOT_READY = "AI_NOT_READY"

    # --- documented additions (same style; see ADDITIONS below) ---
    VALIDATION_FAILED = "VALIDATION_FAILED"
    NOT_FOUND = "NOT_FOUND"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    LENGTH_REQUIRED = "LENGTH_REQUIRED"
    BAD_REQUEST = "BAD_REQUEST"
    NOT_ACCEPTABLE = "NOT_ACCEPTABLE"
    AUTH_REQUIRED = "AUTH_REQUIRED"
    AUTH_INVALID_CREDENTIALS = "AUTH_INVALID_CREDENTIALS"
    AUTH_TOKEN_INVALID = "AUTH_TOKEN_INVALID"
    AUTH_ACCOUNT_DISABLED = "AUTH_ACCOUNT_DISABLED"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    CONFLICT = "CONFLICT"
    QUOTA_EXCEEDED = "QUOTA_EXCEEDED"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    INTERNAL_ERROR = "INTERNAL_ERROR"
    AI_BALANCE_EMPTY = "AI_BALANCE_EMPTY"
    AI_SPEND_LIMIT_REACHED = "AI_SPEND_LIMIT_REACHED"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"

    @classmethod
    def additions(cls) -> list[str]:
        """Codes this server sends that the contract's enum does not list."""
        return [code.value for code in cls if code.value in ADDITIONS]


ADDITIONS = {
    "VALIDATION_FAILED": "The request body, query or path failed validation; `details` lists each bad field.",
    "NOT_FOUND": "No such route or object (another tenant's object is also simply not found).",
    "METHOD_NOT_ALLOWED": "The route exists but not for this HTTP method.",
    "UNSUPPORTED_MEDIA_TYPE": "The request body is not in a content type the operation accepts.",
    "PAYLOAD_TOO_LARGE": "The request body is larger than the server accepts (DATA_UPLOAD_MAX_MEMORY_SIZE).",
    "LENGTH_REQUIRED": "411: a request body must come with Content-Length (chunked bodies are not accepted).",
    "BAD_REQUEST": "The request itself is malformed (e.g. a Host header this deployment does not serve).",
    "NOT_ACCEPTABLE": "The client asked for a response format the API cannot produce.",
    "AUTH_REQUIRED": "The operation needs credentials and none were sent.",
    "AUTH_INVALID_CREDENTIALS": "Login failed; the same answer for an unknown account and a wrong password.",
    "AUTH_TOKEN_INVALID": "The token is malformed, revoked, of the wrong kind, or its signature is bad.",
    "AUTH_ACCOUNT_DISABLED": "The account or its tenant is disabled.",
    "PERMISSION_DENIED": "The principal is known but may not perform this operation.",
    "CONFLICT": "The request conflicts with the current state of the resource.",
    "QUOTA_EXCEEDED": "The tenant's plan quota does not allow this.",
    "IDEMPOTENCY_KEY_REUSED": "An Idempotency-Key was reused with a different request body.",
    "INTERNAL_ERROR": "An unexpected server error; the response carries no details, the log has the request id.",
    "AI_BALANCE_EMPTY": "402: the plan's included AI usage is used up and the prepaid AI balance is empty with "
    "block-on-zero on; the AI provider was not called.",
    "AI_SPEND_LIMIT_REACHED": "429: the tenant reached the platform's daily or monthly AI spend limit.",
    "SERVICE_UNAVAILABLE": "503: a dependency of the server (database, migrations, Redis, broker) is not ready; "
    "`details` names each failing one.",
}


class ApiError(Exception):
    """Raised anywhere (service, selector, view) and rendered by the one exception handler.

    ``details`` is a list of human-readable strings, one per bad field or problem,
    e.g. ``["email: Enter a valid email address."]``.
    """

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        status: int = 400,
        details: list[str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = ErrorCode(code)
        self.message = message
        self.status = status
        self.details = list(details) if details else []
        self.headers = headers or {}

    def __repr__(self) -> str:
        return f"ApiError({self.code}, {self.message!r}, status={self.status})"


def not_found(what: str = "Resource", code: ErrorCode = ErrorCode.NOT_FOUND) -> ApiError:
    return ApiError(code, f"{what} not found.", status=404)


def validation_failed(
    details: list[str], *, code: ErrorCode = ErrorCode.VALIDATION_FAILED, message: str = "Validation failed."
) -> ApiError:
    """The 400 listing every bad field (``"field: problem"``); ``code`` is the area's code where it has one."""
    return ApiError(code, message, status=400, details=details)


#: The contract's ``OAuthError`` codes (the OAuth endpoints answer in that shape, not the envelope).
OAUTH_CONTRACT_ERRORS = (
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
OAUTH_ADDITIONS = (
    "invalid_token",
    "insufficient_scope",
    "unsupported_response_type",
    "access_denied",
    "server_error",
    "login_required",
    "consent_required",
    "interaction_required",
)
OAUTH_ERRORS = OAUTH_CONTRACT_ERRORS + OAUTH_ADDITIONS
