"""Who may read readiness and metrics: a scraper or probe holding ``OPS_TOKEN``.

``Authorization: Bearer <OPS_TOKEN>``, compared in constant time. Without ``OPS_TOKEN`` set, nobody
may (503/401 answers never say whether the dependencies are up). Liveness stays public: it says
only that the process answers.
"""

import hmac

from django.conf import settings
from rest_framework.permissions import BasePermission

from ringnity.api.authentication import bearer_token
from ringnity.api.errors import ApiError, ErrorCode

CHALLENGE = 'Bearer realm="operations"'


def ops_access_error(request) -> ApiError | None:
    """None when the request carries the operations token; else the 401 to answer with."""
    expected = settings.OPS_TOKEN
    sent = bearer_token(request)
    if expected and sent and hmac.compare_digest(sent.encode(), expected.encode()):
        return None
    if sent is None:
        return ApiError(
            ErrorCode.AUTH_REQUIRED,
            "Send `Authorization: Bearer <OPS_TOKEN>` (the operations token of this deployment).",
            status=401,
            headers={"WWW-Authenticate": CHALLENGE},
        )
    return ApiError(
        ErrorCode.AUTH_TOKEN_INVALID,
        "The bearer token is not this deployment's operations token.",
        status=401,
        headers={"WWW-Authenticate": CHALLENGE},
    )


class OpsTokenPermission(BasePermission):
    def has_permission(self, request, view) -> bool:
        error = ops_access_error(request)
        if error is not None:
            raise error
        return True
