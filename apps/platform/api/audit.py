"""``GET /platform/audit-log``: the audit log for platform operators (a documented extension).

Every tenant's rows, one tenant's (``clientId``) or the platform-level ones (``scope=platform``),
newest first, paged like the contract's other lists. Only a ``PlatformBearer`` with ``platform:read``
reads it; every other credential is 401, as on the other platform routes.
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from apps.audit import selectors
from apps.audit.api.outputs import AuditEntryListResult
from apps.audit.api.serializers import FILTERS, PlatformAuditLogQuery, audit_log_params
from apps.platform.api.views import TAGS, PlatformAPIView
from apps.tenants.selectors import tenant_by_client_id_cross_tenant
from ringnity.api.pagination import paginate_page


class PlatformAuditLogView(PlatformAPIView):
    @extend_schema(
        operation_id="listPlatformAuditLog",
        tags=TAGS,
        summary="Read the audit log of privileged writes (extension).",
        description="Ringnity extension, not in the published contract. One row per privileged write (Server API "
        "keys, staff and roles, plans and subscriptions, AI balances and pricing, webhook endpoints, OAuth "
        "clients, allowed domains, AI routing, every console write): who (actor kind and id), tenant, action, "
        "target, before/after with secrets redacted, time, client address and request id. Rows are never "
        "changed or deleted. Platform operators only (any role); other credentials are 401.",
        parameters=[
            *FILTERS,
            OpenApiParameter("clientId", str, description="Only this tenant's rows (its public id); 404 if unknown."),
            OpenApiParameter("scope", str, enum=["all", "platform"], description="`platform`: rows of no tenant."),
        ],
        responses={200: AuditEntryListResult},
        extensions={"x-ringnity-extension": True},
    )
    def get(self, request):
        params, query = audit_log_params(request.query_params, PlatformAuditLogQuery)
        client_id = query.validated_data.get("clientId")
        tenant = tenant_by_client_id_cross_tenant(client_id) if client_id else None
        rows = selectors.audit_entries_cross_tenant(
            filters=query.to_filters(), tenant=tenant, platform_only=query.validated_data["scope"] == "platform"
        )
        entries, pagination = paginate_page(rows, params)
        return Response(AuditEntryListResult({"entries": entries, "pagination": pagination}).data)
