"""Login with Ringnity: the OAuth client registry and the authorization codes, on django-oauth-toolkit.

Both models replace django-oauth-toolkit's own through its swappable settings
(``OAUTH2_PROVIDER_APPLICATION_MODEL``, ``OAUTH2_PROVIDER_GRANT_MODEL``), so the toolkit's
access, refresh and ID tokens point at them. The first migration of this app therefore runs
before the toolkit's (``run_before``).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from oauth2_provider.models import AbstractApplication, AbstractGrant, ClientSecretField

from apps.oauth import keys
from apps.tenants.ids import new_public_id
from apps.tenants.models import Tenant
from ringnity.api.secrets import digests_match, secret_digest

CLIENT_ID_PREFIX = "rn_oauth_"
#: How a client secret is stored: ``sha256$`` + the SHA-256 hex of the (128 random characters) secret.
SECRET_DIGEST_PREFIX = "sha256$"  # noqa: S105 (a format marker, not a secret)
_CLIENT_ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def generate_client_id() -> str:
    """``rn_oauth_`` + 24 random characters (the contract's example)."""
    return CLIENT_ID_PREFIX + "".join(secrets.choice(_CLIENT_ID_ALPHABET) for _ in range(24))


def oauth_client_public_id() -> str:
    return new_public_id("oac")


class ClientStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    REVOKED = "revoked", "Revoked"


class OAuthClient(AbstractApplication):
    """A tenant's app using Login with Ringnity (django-oauth-toolkit's Application, swapped in).

    ``client_secret`` holds ``sha256$<digest>`` of the secret (``set_secret``), never the secret: the
    plain secret exists only in the response that created or rotated it. Not the toolkit's password
    hash (``hash_client_secret`` is off): Argon2 costs ~0.4 s and 100 MB on every token request, and
    a 128-character random secret has nothing to brute-force (``ringnity.api.secrets``). Only the
    authorization-code grant is ever set, and ID tokens are RS256 (``algorithm``).
    """

    public_id = models.CharField(max_length=32, unique=True, default=oauth_client_public_id, editable=False)
    client_id = models.CharField(max_length=100, unique=True, default=generate_client_id, db_index=True)
    hash_client_secret = models.BooleanField(default=False)
    client_secret = ClientSecretField(max_length=255, blank=True, default="", db_index=True)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="oauth_clients")
    allowed_scopes = models.JSONField(default=list)
    require_pkce = models.BooleanField(default=True)
    status = models.CharField(max_length=10, choices=ClientStatus.choices, default=ClientStatus.ACTIVE)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta(AbstractApplication.Meta):
        swappable = "OAUTH2_PROVIDER_APPLICATION_MODEL"
        indexes = [models.Index(fields=["tenant", "created"], name="oauth_client_tenant_created")]

    def __str__(self) -> str:
        return self.name or self.client_id

    @property
    def is_public(self) -> bool:
        return self.client_type == self.CLIENT_PUBLIC

    @property
    def redirect_uri_list(self) -> list[str]:
        return self.redirect_uris.split()

    def redirect_uri_allowed(self, uri) -> bool:
        """Exact string match only: no trailing-slash, query, port or case leniency."""
        return isinstance(uri, str) and uri in self.redirect_uri_list

    def set_secret(self, secret: str | None) -> None:
        self.hash_client_secret = False
        self.client_secret = SECRET_DIGEST_PREFIX + secret_digest(secret) if secret else ""

    def secret_matches(self, secret: str) -> bool:
        stored = self.client_secret or ""
        if not secret or not stored.startswith(SECRET_DIGEST_PREFIX):
            return False
        return digests_match(stored.removeprefix(SECRET_DIGEST_PREFIX), secret)

    @property
    def jwk_key(self):
        """The RS256 signing key (parsed once per process, not once per token as the toolkit does)."""
        return keys.signing_key()

    def is_usable(self, request) -> bool:
        """A revoked client, or a client of a disabled tenant, can do nothing at all."""
        return self.status == ClientStatus.ACTIVE and self.tenant.is_active


class AuthorizationCode(AbstractGrant):
    """django-oauth-toolkit's Grant with what the hardening needs.

    * ``auth_time``: when the user signed in (the ID token's ``auth_time``, ``max_age``).
    * ``used_at`` / ``token_family``: a code is spent by one conditional UPDATE and kept, so a
      replay is recognised and revokes the refresh-token family (and its access tokens) the
      first exchange produced (RFC 6749 section 4.1.2).
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    auth_time = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    token_family = models.UUIDField(null=True, blank=True, db_index=True)

    class Meta(AbstractGrant.Meta):
        swappable = "OAUTH2_PROVIDER_GRANT_MODEL"
        indexes = [models.Index(fields=["tenant", "expires"], name="oauth_code_tenant_expires")]


class OAuthConsent(models.Model):
    """A remembered "allow": one user, one client, one exact set of granted scopes."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(OAuthClient, on_delete=models.CASCADE, related_name="consents")
    scopes = models.TextField(help_text="Granted scopes, sorted, space separated.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user", "client", "scopes"], name="oauth_consent_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} -> {self.client_id}: {self.scopes}"


class OAuthTokenFamily(models.Model):
    """One authorization's refresh-token family and when its user signed in.

    Refreshed ID tokens carry the original ``auth_time``; it lives here, not only on the code, so
    pruning spent codes (django-oauth-toolkit's ``cleartokens`` deletes expired ones) loses nothing.
    """

    family = models.UUIDField(unique=True)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    auth_time = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "created_at"], name="oauth_family_tenant_created")]

    def __str__(self) -> str:
        return str(self.family)
