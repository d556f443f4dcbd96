"""The base views of this app's two audiences: the Server API and the dashboard's developer settings.

The Server API view (``Authorization: Bearer rn_sk_…``).

Subclasses set ``required_scopes`` per method (a missing scope is 403 ``SERVER_API_SCOPE_DENIED``)
and may change ``required_feature``: every data route needs the plan feature ``server_api``
(403 ``FEATURE_NOT_AVAILABLE``), so a tenant downgraded to a plan without it keeps its keys but
cannot use them for data; ``GET /server/health`` sets it to None because it only proves a key works.
"""

from django.conf import settings
from django.utils.module_loading import import_string
from rest_framework.permissions import BasePermission

from apps.developer.authentication import ServerApiKeyAuthentication
from apps.plans import entitlements
from apps.tenants.models import StaffRole
from ringnity.api.errors import ApiError, ErrorCode
from ringnity.api.permissions import PrincipalPermission
from ringnity.api.principal import DASHBOARD_KINDS, PrincipalKind
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


DEVELOPER_ROLES = frozenset({StaffRole.OWNER, StaffRole.ADMIN})


#: Dashboard sessions (owner or workspace JWT) come from the sign-in app, a sibling layer this app may
#: not import: the class is named in settings (``RINGNITY_DASHBOARD_AUTHENTICATION``), as Django names
#: its user model.
DashboardAuthentication = import_string(settings.RINGNITY_DASHBOARD_AUTHENTICATION)


class DeveloperRolePermission(BasePermission):
    """Only the owner and admins manage domains and secrets."""

    def has_permission(self, request, view) -> bool:
        user = getattr(request.auth, "user", None)
        if user is None or user.role not in DEVELOPER_ROLES:
            raise ApiError(
                ErrorCode.PERMISSION_DENIED, "Developer settings are for the workspace owner and admins.", status=403
            )
        return True


class DeveloperView(TenantAPIView):
    authentication_classes = [DashboardAuthentication]
    permission_classes = [PrincipalPermission, DeveloperRolePermission]
    accepted_principals = DASHBOARD_KINDS
