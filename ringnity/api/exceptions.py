"""The one exception handler: every error leaves the API as the contract's ErrorEnvelope."""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import set_rollback

from ringnity.api.authentication import describe_sent_credentials, expected_credentials, www_authenticate
from ringnity.api.errors import ApiError, ErrorCode
from ringnity.api.renderers import EnvelopeJSONRenderer

logger = logging.getLogger("ringnity.api")

_DRF_CODES: list[tuple[type[drf.APIException], ErrorCode, str | None]] = [
    (drf.ParseError, ErrorCode.VALIDATION_FAILED, "Malformed request body."),
    (drf.NotAuthenticated, ErrorCode.AUTH_REQUIRED, "Authentication credentials were not provided."),
    (drf.AuthenticationFailed, ErrorCode.AUTH_TOKEN_INVALID, None),
    (drf.PermissionDenied, ErrorCode.PERMISSION_DENIED, None),
    (drf.NotFound, ErrorCode.NOT_FOUND, "Not found."),
    (drf.MethodNotAllowed, ErrorCode.METHOD_NOT_ALLOWED, None),
    (drf.NotAcceptable, ErrorCode.NOT_ACCEPTABLE, None),
    (drf.UnsupportedMediaType, ErrorCode.UNSUPPORTED_MEDIA_TYPE, None),
    (drf.Throttled, ErrorCode.RATE_LIMITED, "Too many requests; retry later."),
]


def flatten_errors(detail, prefix: str = "") -> list[str]:
    """Turn DRF's nested error detail into ``["field: message", "items[0].name: message"]``."""
    if isinstance(detail, dict):
        out: list[str] = []
        for key, value in detail.items():
            if key in ("non_field_errors", "__all__"):
                out.extend(flatten_errors(value, prefix))
            elif isinstance(key, int):
                out.extend(flatten_errors(value, f"{prefix}[{key}]"))
            else:
                out.extend(flatten_errors(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return [f"{prefix}: {item}" if prefix else str(item) for item in detail]
        out = []
        for index, item in enumerate(detail):
            if item:
                out.extend(flatten_errors(item, f"{prefix}[{index}]"))
        return out
    return [f"{prefix}: {detail}" if prefix else str(detail)]


def error_response(error: ApiError) -> Response:
    body = {"success": False, "code": error.code.value, "message": error.message}
    if error.details:
        body["details"] = error.details
    response = Response(body, status=error.status, headers=error.headers)
    response.exception = True
    return response


def to_api_error(exc: Exception, view=None, request=None) -> ApiError | None:
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    if isinstance(exc, drf.ValidationError):
        code = getattr(view, "validation_error_code", ErrorCode.VALIDATION_FAILED)
        details = flatten_errors(exc.detail)
        return ApiError(code, "Validation failed.", status=400, details=details)
    if not isinstance(exc, drf.APIException):
        return None
    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(max(1, int(exc.wait + 0.999)))
    code, message = ErrorCode.INTERNAL_ERROR, None
    for exc_type, mapped, default_message in _DRF_CODES:
        if isinstance(exc, exc_type):
            code, message = mapped, default_message
            break
    if isinstance(exc, drf.NotAuthenticated) and request is not None:
        code = _missing_credentials_code(request, default=code)
    explicit = getattr(exc, "error_code", None)
    if explicit:
        code = ErrorCode(explicit)
    if message is None:
        message = str(exc.detail) if not isinstance(exc.detail, (list, dict)) else "Request failed."
    status = exc.status_code
    if isinstance(exc, (drf.NotAuthenticated, drf.AuthenticationFailed)):
        status = 401  # DRF downgrades to 403 when a view has no authenticator; a missing credential is 401.
    return ApiError(code, message, status=status, headers=headers)


def _missing_credentials_code(request, default: ErrorCode) -> ErrorCode:
    """The first authenticator of a view names the code for 'no credentials at all'."""
    authenticators = getattr(request, "authenticators", None) or []
    for authenticator in authenticators:
        code = getattr(authenticator, "missing_credentials_code", None)
        if code:
            return ErrorCode(code)
    return default


DEFAULT_CHALLENGE = 'Bearer realm="api"'


def explain_unauthenticated(error: ApiError, request, *, missing: bool) -> None:
    """Every 401 carries ``WWW-Authenticate`` and says what the operation expects and what was sent.

    ``missing``: no credential of the operation's schemes was found (as opposed to one that failed).
    """
    authenticators = getattr(request, "authenticators", None) or []
    # Every scheme the operation takes (DRF's own header names only the first authentication class).
    challenges = www_authenticate(authenticators, request)
    if challenges or "WWW-Authenticate" not in error.headers:
        error.headers["WWW-Authenticate"] = challenges or DEFAULT_CHALLENGE
    expected = expected_credentials(authenticators)
    if not expected:
        return  # a public operation's own 401 (a failed login): nothing to send instead
    if missing:
        error.message = f"No credentials for this operation. {expected}"
    if not error.details:
        received = "; ".join(describe_sent_credentials(request))
        error.details = [f"expected: {expected.removeprefix('Send ').removesuffix('.')}", f"received: {received}"]


def api_exception_handler(exc: Exception, context: dict) -> Response:
    view = context.get("view")
    request = context.get("request")
    error = to_api_error(exc, view=view, request=request)
    if error is None:
        request_id = getattr(request, "request_id", "-") if request is not None else "-"
        logger.exception("Unhandled error in %s (request_id=%s)", type(view).__name__, request_id)
        error = ApiError(ErrorCode.INTERNAL_ERROR, "Internal server error.", status=500)
    if request is not None:
        if error.status == 401:
            explain_unauthenticated(error, request, missing=isinstance(exc, drf.NotAuthenticated))
        # Errors are envelopes whatever the view renders on success (the schema view's YAML, the docs'
        # HTML): DRF's finalize_response renders with the request's accepted renderer.
        request.accepted_renderer = EnvelopeJSONRenderer()
        request.accepted_media_type = EnvelopeJSONRenderer.media_type
    set_rollback()
    return error_response(error)
