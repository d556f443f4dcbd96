"""The ``OAuthAccessToken`` security scheme: django-oauth-toolkit access tokens as a ``Principal``.

The tenant is the client's (a user can only authorize clients of its own tenant), the scopes are
the token's. A token of a revoked client, of a disabled user or tenant, or past its expiry is
invalid; errors are raised as ``OAuthProtocolError`` so the views answer in the OAuth shape.
"""

from __future__ import annotations

import hashlib

from oauth2_provider.models import get_access_token_model

from apps.oauth.errors import OAuthProtocolError
from apps.oauth.scopes import scopes_for_user
from apps.oauth.validators import user_may_sign_in
from ringnity.api.authentication import PrincipalAuthentication, bearer_token
from ringnity.api.principal import Principal, PrincipalKind

AccessToken = get_access_token_model()


class OAuthAccessTokenAuthentication(PrincipalAuthentication):
    security_scheme = "OAuthAccessToken"
    www_authenticate = 'Bearer realm="api"'

    def authenticate(self, request):
        raw = bearer_token(request)
        if raw is None:
            raise OAuthProtocolError("invalid_token", "An OAuth access token is required.", status=401)
        checksum = hashlib.sha256(raw.encode()).hexdigest()
        token = (
            AccessToken.objects.select_related("application__tenant", "user__tenant")
            .filter(token_checksum=checksum)
            .first()
        )
        if (
            token is None
            or token.is_expired()
            or not token.application.is_usable(None)
            or not user_may_sign_in(token.user)
            or token.user.tenant_id != token.application.tenant_id
        ):
            raise OAuthProtocolError("invalid_token", "The access token is invalid or expired.", status=401)
        return token.user, Principal(
            kind=PrincipalKind.OAUTH,
            tenant=token.application.tenant,
            user=token.user,
            credential=token,
            subject=token.user.public_id,
            # The role is read now: a user who lost the admin role loses tenant-level scopes at once.
            scopes=frozenset(scopes_for_user(token.scope.split(), token.user)),
            token_id=str(token.pk),
        )
