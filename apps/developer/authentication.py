"""Server API key authentication: recognised by its ``rn_sk_`` prefix and its stored digest."""

from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone

from apps.developer.credentials import SECRET_PREFIX
from apps.developer.models import ServerApiKey
from ringnity.api.authentication import PrincipalAuthentication, bearer_token
from ringnity.api.errors import ApiError, ErrorCode
from ringnity.api.principal import Principal, PrincipalKind
from ringnity.api.secrets import digests_match, secret_digest


class ServerApiKeyAuthentication(PrincipalAuthentication):
    """``Authorization: Bearer rn_sk_<env>_<secret>``: a tenant's backend."""

    security_scheme = "ServerApiKey"

    missing_credentials_code = ErrorCode.SERVER_API_KEY_INVALID
    www_authenticate = 'Bearer realm="server-api"'
    last_used_resolution = timedelta(minutes=1)

    def authenticate(self, request):
        raw = bearer_token(request)
        if raw is None:
            return None
        invalid = ApiError(
            ErrorCode.SERVER_API_KEY_INVALID,
            "No active Server API key matches this secret (unknown, disabled or rotated).",
            status=401,
        )
        if not raw.startswith(SECRET_PREFIX):
            raise ApiError(
                ErrorCode.SERVER_API_KEY_INVALID,
                f"The bearer token is not a Server API key (keys start with `{SECRET_PREFIX}`).",
                status=401,
            )
        # The secret names its tenant: the lookup is by digest across tenants, before any principal exists.
        key = (
            ServerApiKey.objects.cross_tenant()
            .select_related("tenant")
            .filter(secret_digest=secret_digest(raw))
            .first()
        )
        if key is None or not digests_match(key.secret_digest, raw) or not key.is_active or not key.tenant.is_active:
            raise invalid
        self._touch(key)
        return None, Principal(
            kind=PrincipalKind.SERVER_KEY,
            tenant=key.tenant,
            credential=key,
            subject=key.public_id,
            scopes=frozenset(key.scopes),
        )

    def _touch(self, key: ServerApiKey) -> None:
        """Records ``lastUsedAt`` at most once a minute per key (a cache gate, then one UPDATE)."""
        if cache.add(f"server-key-used:{key.pk}", 1, timeout=int(self.last_used_resolution.total_seconds())):
            now = timezone.now()
            ServerApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
            key.last_used_at = now
