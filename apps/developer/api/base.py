"""The one base view of the Server API (``Authorization: Bearer rn_sk_…``).

Subclasses set ``required_scopes`` per method (a missing scope is 403 ``SERVER_API_SCOPE_DENIED``)
and may change ``required_feature``: every data route needs the plan feature ``server_api``
(403 ``FEATURE_NOT_AVAILABLE``), so a tenant downgraded to a plan without it keeps its keys but
cannot use them for data; ``GET /server/health`` sets it to None because it only proves a key works.
"""

from apps.developer.authentication import ServerApiKeyAuthentication
from apps.plans import entitlements
from ringnity.api.errors import ErrorCode
from ringnity.api.principal import PrincipalKind
from ringnity.api.views import TenantAPIView


class ServerAPIView(TenantAPIView):
    authentication_classes = [ServerApiKeyAuthentication]
    accepted_principals = {PrincipalKind.SERVER_KEY}
    scope_denied_code = ErrorCode.SERVER_API_SCOPE_DENIED
    required_feature: str | None = "server_api"

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if self.required_feature:
            entitlements.for_tenant(self.tenant).require_feature(self.required_feature)
