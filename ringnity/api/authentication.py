"""Base for the authentication classes of each security scheme, and what 401 answers tell the caller.

Each scheme's class lives in the app that owns its credentials and returns
``(user_or_None, Principal)``. It returns ``None`` only when the request carries
no credential *for its scheme*; a credential that is present but wrong raises.

A 401 names what the operation expects (from its classes' security schemes) and
what the request actually carried (``describe_sent_credentials``), without echoing
any secret: "Send `Authorization: Bearer rn_sk_…`" / "received: an `Authorization`
header with the `Basic` scheme instead of `Bearer`".
"""

from rest_framework.authentication import BaseAuthentication

from ringnity.api.errors import ErrorCode

SDK_SESSION_HEADER = "X-Ringnity-SDK-Session"
CHAT_SESSION_HEADER = "X-Ringnity-Chat-Session"
TENANT_HEADER = "X-Ringnity-Tenant"
SERVER_KEY_PREFIX = "rn_sk_"

#: How to authenticate for each of the contract's security schemes, in the words of an error message.
SCHEME_HINTS = {
    "ServerApiKey": f"`Authorization: Bearer {SERVER_KEY_PREFIX}…` (a Server API key)",
    "RuntimeBearer": f"`{SDK_SESSION_HEADER}: <runtime token>` (from POST /sdk/session or the Server API)",
    "OwnerBearer": "`Authorization: Bearer <owner access token>` (from POST /auth/owner-login)",
    "WorkspaceBearer": "`Authorization: Bearer <workspace access token>` (from POST /auth/workspace-login)",
    "DashboardBearer": "`Authorization: Bearer <owner or workspace access token>`",
    "PlatformBearer": "`Authorization: Bearer <platform access token>` (from POST /platform/auth/login)",
    "OAuthAccessToken": "`Authorization: Bearer <OAuth access token>` (from Login with Ringnity)",
    # Documented additions (``ringnity.api.schema.ADDITIONAL_SECURITY_SCHEMES``): the visitor's credentials.
    "ChatSession": f"`{CHAT_SESSION_HEADER}: <chat session token>` (from POST /chat/visitor/sessions)",
    "AnonymousVisitorStart": f"`{TENANT_HEADER}: <tenant slug>` from an allowed `Origin` (a new anonymous visitor)",
}
#: Headers clients often put keys in by mistake; named in the 401 so the caller sees why it was ignored.
_MISPLACED_HEADERS = ("X-API-Key", "Api-Key", "X-Auth-Token", "Token")
#: Authorization schemes named back to the caller; anything else may be a secret sent without a scheme.
_KNOWN_SCHEMES = {"basic", "digest", "token", "apikey", "api-key", "key", "jwt", "negotiate", "hmac", "oauth"}


class PrincipalAuthentication(BaseAuthentication):
    #: The contract's security scheme this class implements (documented from the contract's definition).
    security_scheme: str = ""
    #: Every scheme this class accepts, when it is more than ``security_scheme`` (the visitor's two headers).
    security_schemes: tuple[str, ...] = ()
    #: The error code when the request carries no credential of this scheme.
    missing_credentials_code: ErrorCode = ErrorCode.AUTH_REQUIRED
    #: The WWW-Authenticate challenge; DRF turns 401 into 403 without one.
    www_authenticate = 'Bearer realm="api"'

    def authenticate_header(self, request) -> str:
        return self.www_authenticate

    @classmethod
    def schemes(cls) -> tuple[str, ...]:
        return cls.security_schemes or ((cls.security_scheme,) if cls.security_scheme else ())


def bearer_token(request) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def expected_credentials(authenticators) -> str:
    """``Send A or B.`` for the security schemes of a view's authentication classes ("" when public)."""
    hints = []
    for authenticator in authenticators or []:
        schemes = authenticator.schemes() if isinstance(authenticator, PrincipalAuthentication) else ()
        for scheme in schemes:
            hint = SCHEME_HINTS.get(scheme)
            if hint and hint not in hints:
                hints.append(hint)
    return f"Send {' or '.join(hints)}." if hints else ""


def www_authenticate(authenticators, request) -> str:
    """One challenge per scheme the operation accepts (RFC 9110 11.6.1), comma-separated, in order."""
    challenges = []
    for authenticator in authenticators or []:
        challenge = authenticator.authenticate_header(request)
        for part in [c.strip() for c in (challenge or "").split(", ") if c.strip()]:
            if part not in challenges:
                challenges.append(part)
    return ", ".join(challenges)


def _describe_bearer(token: str) -> str:
    if token.startswith(SERVER_KEY_PREFIX):
        return f"`Authorization: Bearer` with a Server API key (`{SERVER_KEY_PREFIX}…`)"
    if token.count(".") == 2:
        return "`Authorization: Bearer` with a JWT"
    return f"`Authorization: Bearer` with a token that is neither a Server API key (`{SERVER_KEY_PREFIX}…`) nor a JWT"


def describe_sent_credentials(request) -> list[str]:
    """What credentials the request carried, one phrase each, never the secret itself."""
    meta = request.META
    sent = []
    header = meta.get("HTTP_AUTHORIZATION", "").strip()
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" and not token.strip():
            described = _describe_bearer(scheme).split(" with ", 1)[1]
            sent.append(f"an `Authorization` header with {described} but no `Bearer ` scheme before it")
        elif scheme.lower() != "bearer":
            shown = f"the `{scheme}` scheme" if scheme.lower() in _KNOWN_SCHEMES else "an unknown scheme"
            sent.append(f"an `Authorization` header with {shown} instead of `Bearer`")
        elif not token.strip():
            sent.append("`Authorization: Bearer` with an empty token")
        else:
            sent.append(_describe_bearer(token.strip()))
    for header in (SDK_SESSION_HEADER, CHAT_SESSION_HEADER, TENANT_HEADER):
        if meta.get("HTTP_" + header.upper().replace("-", "_"), "").strip():
            sent.append(f"an `{header}` header")
    for name in _MISPLACED_HEADERS:
        if meta.get("HTTP_" + name.upper().replace("-", "_"), "").strip():
            sent.append(f"a `{name}` header, which this API does not read")
    return sent or [f"no credentials (no `Authorization`, `{SDK_SESSION_HEADER}` or `{CHAT_SESSION_HEADER}` header)"]
