"""The visitor's ``sessionToken`` body field on the call routes.

The contract lets a visitor's widget call ``createCallSession`` / ``endCallSession`` with its
chat session token in the JSON body (``sessionToken``) instead of a header. This class runs
after the header schemes (``VisitorAuthentication`` for ``X-Ringnity-SDK-Session`` /
``X-Ringnity-Chat-Session``, ``DashboardJWTAuthentication``), so a header credential always
wins and the body field is only read when no header credential was sent. The token is checked
by the chat app (digest lookup, expiry, revocation, active tenant) and yields the same
``Principal(kind=VISITOR, credential=<Visitor>)`` as the header form.

It is deliberately not a ``PrincipalAuthentication``: it is no security scheme of its own
(the views document the contract's schemes with ``extend_schema(auth=...)``).
"""

from collections.abc import Mapping

from rest_framework.authentication import BaseAuthentication

from apps.chat.authentication import chat_session_principal
from ringnity.api.errors import ApiError, ErrorCode

BODY_FIELD = "sessionToken"


class CallSessionTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        data = request.data
        raw = data.get(BODY_FIELD) if isinstance(data, Mapping) else None
        if raw is None:
            return None
        if not isinstance(raw, str) or not raw.strip():
            raise ApiError(ErrorCode.AUTH_TOKEN_INVALID, "The chat session token is invalid.", status=401)
        return None, chat_session_principal(raw.strip())
