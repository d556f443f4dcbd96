"""django-oauth-toolkit's OAuth2Validator with Login with Ringnity's rules.

What changes against the toolkit's defaults, and why:

* clients: a revoked client, or one of a disabled tenant, is unknown (``is_usable``); PKCE is
  required for public clients and for every client with ``require_pkce`` (S256 only, see
  ``server``); a ``code_verifier`` sent for a code issued without a challenge is refused.
* codes: spent by one conditional UPDATE in ``validate_code`` (two concurrent exchanges: one
  wins) and kept; a replay revokes the refresh-token family the first exchange produced.
* refresh tokens: rotated on every use; a replayed old one ends its family (the toolkit's reuse
  protection); one unused for ``REFRESH_TOKEN_EXPIRE_SECONDS`` (30 days) is refused.
* claims: ``sub`` is the user's public id; ``tenant_id``/``tenant_slug`` need ``tenant.read``,
  ``roles`` needs ``roles.read``; ``auth_time`` is when the user really signed in.
* scopes: only the catalog's available scopes the client holds; at issue time also only what the
  user's role may grant (``scopes.scopes_for_user``).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_refresh_token_model
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.settings import oauth2_settings
from oauthlib.oauth2.rfc6749 import errors

from apps.identity.sessions import SessionScope, user_may_hold_session
from apps.oauth import scopes as scope_catalog
from apps.oauth import selectors, services
from apps.oauth.models import AuthorizationCode, OAuthClient, OAuthTokenFamily

AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()


def user_may_sign_in(user) -> bool:
    """Owners hold owner sessions, other staff workspace sessions; platform operators never."""
    if user is None or user.tenant_id is None:
        return False
    return user_may_hold_session(user, SessionScope.OWNER if user.role == "owner" else SessionScope.WORKSPACE)


class RingnityOAuth2Validator(OAuth2Validator):
    oidc_claim_scope = {
        "sub": "openid",
        "name": "profile",
        "email": "email",
        "email_verified": "email",
        "tenant_id": "tenant.read",
        "tenant_slug": "tenant.read",
        "roles": "roles.read",
    }

    # --- clients --------------------------------------------------------------------------

    def _load_application(self, client_id, request):
        if request.client is None:
            request.client = OAuthClient.objects.select_related("tenant").filter(client_id=client_id).first()
        if request.client is None or not request.client.is_usable(request):
            return None
        return request.client

    def _check_secret(self, provided_secret, stored_secret):
        """Only the digest form ``OAuthClient.set_secret`` writes; never the toolkit's plain-text fallback."""
        client = OAuthClient(client_secret=stored_secret)
        return client.secret_matches(provided_secret)

    def is_pkce_required(self, client_id, request):
        client = request.client or self._load_application(client_id, request)
        return client is None or client.is_public or client.require_pkce

    def validate_response_type(self, client_id, response_type, client, request, *args, **kwargs):
        """``code`` only: hybrid (``code id_token`` ...) and ``none`` are unsupported, not "unauthorized"."""
        if response_type != "code":
            raise errors.UnsupportedResponseTypeError(request=request)
        return client.allows_grant_type(OAuthClient.GRANT_AUTHORIZATION_CODE)

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        allowed = set(scope_catalog.RingnityScopes().get_available_scopes(application=client))
        if not set(scopes) <= allowed:
            return False
        user = getattr(request, "user", None)
        return user is None or set(scope_catalog.scopes_for_user(scopes, user)) == set(scopes)

    def validate_silent_login(self, request):
        """``prompt=none``: the authorize view answers ``login_required`` itself before issuing."""
        return True

    def validate_silent_authorization(self, request):
        """``prompt=none``: the authorize view answers ``consent_required`` itself before issuing."""
        return True

    # --- codes ----------------------------------------------------------------------------

    def _create_authorization_code(self, request, code, expires=None):
        expires = expires or timezone.now() + timedelta(seconds=oauth2_settings.AUTHORIZATION_CODE_EXPIRE_SECONDS)
        return AuthorizationCode.objects.create(
            tenant=request.client.tenant,
            application=request.client,
            user=request.user,
            code=code["code"],
            expires=expires,
            redirect_uri=request.redirect_uri,
            scope=" ".join(request.scopes),
            code_challenge=request.code_challenge or "",
            code_challenge_method=request.code_challenge_method or "",
            nonce=request.nonce or "",
            claims="{}",
            auth_time=request.auth_time,
        )

    def validate_code(self, client_id, code, client, request, *args, **kwargs):
        grant = AuthorizationCode.objects.select_related("user__tenant").filter(code=code, application=client).first()
        if grant is None:
            return False
        if grant.used_at is not None:
            services.token_family_revoke(family=grant.token_family)
            return False
        if grant.is_expired() or (request.code_verifier and not grant.code_challenge):
            return False
        if not user_may_sign_in(grant.user) or grant.user.tenant_id != client.tenant_id:
            return False
        spent = AuthorizationCode.objects.filter(pk=grant.pk, used_at__isnull=True).update(used_at=timezone.now())
        if spent != 1:
            return False
        request.scopes = grant.scope.split()
        request.user = grant.user
        request.auth_time = grant.auth_time
        request.authorization_code = grant
        if grant.nonce:
            request.nonce = grant.nonce
        return True

    def invalidate_authorization_code(self, client_id, code, request, *args, **kwargs):
        """Already spent in ``validate_code``; the row stays for replay detection."""

    # --- tokens ---------------------------------------------------------------------------

    def _save_bearer_token(self, token, request, *args, **kwargs):
        super()._save_bearer_token(token, request, *args, **kwargs)
        grant = getattr(request, "authorization_code", None)
        if grant is not None and token.get("refresh_token"):
            family = (
                RefreshToken.objects.filter(token=token["refresh_token"]).values_list("token_family", flat=True).first()
            )
            AuthorizationCode.objects.filter(pk=grant.pk).update(token_family=family)
            if family is not None:
                OAuthTokenFamily.objects.get_or_create(
                    family=family, defaults={"tenant_id": grant.tenant_id, "auth_time": grant.auth_time}
                )
        OAuthClient.objects.filter(pk=request.client.pk).update(last_used_at=timezone.now())

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs):
        if not super().validate_refresh_token(refresh_token, client, request, *args, **kwargs):
            return False
        rt = request.refresh_token_instance
        idle_limit = timezone.now() - timedelta(seconds=oauth2_settings.REFRESH_TOKEN_EXPIRE_SECONDS)
        if rt.revoked is not None or rt.created < idle_limit:
            return False
        if not user_may_sign_in(rt.user) or rt.user.tenant_id != client.tenant_id:
            return False
        # What the family was granted must still be grantable: the client may have lost a scope, the
        # user an admin role; then the app has to ask again (a new consent), not keep refreshing.
        original = self.get_original_scopes(refresh_token, request)
        scopes = original.split() if isinstance(original, str) else list(original)
        allowed = set(scope_catalog.RingnityScopes().get_available_scopes(application=client))
        return set(scopes) <= allowed and set(scope_catalog.scopes_for_user(scopes, rt.user)) == set(scopes)

    def validate_bearer_token(self, token, scopes, request):
        if not super().validate_bearer_token(token, scopes, request):
            return False
        access_token = request.access_token
        if not access_token.application.is_usable(request) or not user_may_sign_in(access_token.user):
            self._set_oauth2_error_on_request(request, None, scopes)
            return False
        return True

    def revoke_token(self, token, token_type_hint, request, *args, **kwargs):
        """RFC 7009: only the requesting client's own tokens; anything else is silently "done" (200)."""
        access = AccessToken.objects.filter(token=token, application=request.client).first()
        if access is not None and token_type_hint != "refresh_token":  # noqa: S105 (a hint name, not a secret)
            access.revoke()
            return
        refresh = RefreshToken.objects.filter(token=token, application=request.client).first()
        if refresh is not None:
            refresh.revoke()
        elif access is not None:
            access.revoke()

    # --- ID token and userinfo ------------------------------------------------------------

    def get_additional_claims(self, request):
        user = request.user
        claims = {"sub": user.public_id, "name": user.name or user.username or user.email}
        if user.email:
            claims["email"] = user.email
            # Ringnity does not verify staff e-mail addresses: say so rather than guess.
            claims["email_verified"] = False
        claims.update(tenant_id=user.tenant.public_id, tenant_slug=user.tenant.slug, roles=[user.role])
        return claims

    def get_oidc_issuer_endpoint(self, request):
        """``RINGNITY_PUBLIC_URL``, read per request: the issuer of the discovery document and of every token."""
        return selectors.issuer()

    def get_userinfo_claims(self, request):
        """Claims of the scopes the user may still grant (a demoted admin loses ``tenant.read`` at once)."""
        request.scopes = scope_catalog.scopes_for_user(request.scopes, request.user)
        return super().get_userinfo_claims(request)

    def get_discovery_claims(self, request):
        return list(self.oidc_claim_scope)

    def _auth_time(self, request):
        auth_time = getattr(request, "auth_time", None)
        if auth_time is None:
            rt = getattr(request, "refresh_token_instance", None)
            family = getattr(rt, "token_family", None)
            if family is not None:
                auth_time = OAuthTokenFamily.objects.filter(family=family).values_list("auth_time", flat=True).first()
        return auth_time or timezone.now()

    def get_id_token_dictionary(self, token, token_handler, request):
        claims = self.get_oidc_claims(token, token_handler, request)
        expiration_time = timezone.now() + timedelta(seconds=oauth2_settings.ID_TOKEN_EXPIRE_SECONDS)
        claims.update(
            iss=self.get_oidc_issuer_endpoint(request),
            exp=int(expiration_time.timestamp()),
            auth_time=int(self._auth_time(request).timestamp()),
            jti=str(uuid.uuid4()),
        )
        return claims, expiration_time
