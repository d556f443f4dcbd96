"""Base for the authentication classes of each security scheme.

Each scheme's class lives in the app that owns its credentials and returns
``(user_or_None, Principal)``. It returns ``None`` only when the request carries
no credential *for its scheme*; a credential that is present but wrong raises.
"""

from rest_framework.authentication import BaseAuthentication

from ringnity.api.errors import ErrorCode


class PrincipalAuthentication(BaseAuthentication):
    #: The contract's security scheme this class implements (documented from the contract's definition).
    security_scheme: str = ""
    #: The error code when the request carries no credential of this scheme.
    missing_credentials_code: ErrorCode = ErrorCode.AUTH_REQUIRED
    #: The WWW-Authenticate challenge; DRF turns 401 into 403 without one.
    www_authenticate = 'Bearer realm="api"'

    def authenticate_header(self, request) -> str:
        return self.www_authenticate


def bearer_token(request) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
