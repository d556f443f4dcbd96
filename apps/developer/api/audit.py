"""``GET /sdk/developer/audit-log``: a tenant's owner and admins read their own tenant's audit log (extension).

The same rows and shape as the operators' ``GET /platform/audit-log``, scoped to the token's tenant:
another tenant's rows and the platform-level ones are never in it.
"""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from apps.audit import selectors
from apps.audit.api.outputs import AuditEntryListResult
from apps.audit.api.serializers import FILTERS, audit_log_params
from apps.developer.api.base import DeveloperView
from ringnity.api.pagination import paginate_page


class DeveloperAuditLogView(DeveloperView):
    @extend_schema(
        operation_id="listDeveloperAuditLog",
        tags=["Developer Settings"],
        summary="Read the tenant's audit log of privileged writes (extension).",
        description="Ringnity extension, not in the published contract. The logged-in tenant's rows of the audit "
        "log (who changed its keys, staff, plan, AI balance, webhooks, OAuth clients, domains, routing; "
        "before/after with secrets redacted), newest first. Owner and admins only (403 for other staff).",
        parameters=FILTERS,
        responses={200: AuditEntryListResult},
        extensions={"x-ringnity-extension": True},
    )
    def get(self, request):
        params, query = audit_log_params(request.query_params)
        rows = selectors.audit_entries(tenant=self.tenant, filters=query.to_filters())
        entries, pagination = paginate_page(rows, params)
        return Response(AuditEntryListResult({"entries": entries, "pagination": pagination}).data)
