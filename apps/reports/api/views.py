"""Report routes: the Server API (``server:reports:read``) and the Admin SDK (admin runtime token).

Both read the same selectors; the views only parse the query, resolve the period and the
agent filter for the principal's tenant, and shape the answer. ``format`` is this API's own
query parameter (``json``|``csv``), so the export views switch off DRF's ``?format=`` renderer
override (``_OwnFormatParam``).
"""

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.settings import api_settings

from apps.developer.api.base import ServerAPIView
from apps.plans import entitlements
from apps.reports.api.serializers import (
    ReportExportOutput,
    ReportExportQuery,
    ReportOutput,
    ReportQuery,
    ReportTimeseriesOutput,
)
from apps.reports.exports import bounded_queries, export_data, export_filename, export_render, export_slot
from apps.reports.periods import period_resolve
from apps.reports.selectors import report_agent, report_build, report_timeseries
from apps.runtime.tokens import RuntimeBearerAuthentication
from ringnity.api.principal import PrincipalKind
from ringnity.api.views import TenantAPIView, validate_input

SERVER_TAGS = ["Server API"]
ADMIN_TAGS = ["Admin Reports"]
REPORTS_READ = "server:reports:read"
ADMIN_REPORTS_READ = "admin:reports:read"
ADMIN_REPORTS_EXPORT = "admin:reports:export"
# Only the JSON answer is described: the generated schema wraps every 2xx media type in the
# envelope (ringnity.api.schema), which would misdescribe the CSV body; the description says it.
EXPORT_RESPONSES = {200: ReportExportOutput}


class _NoFormatOverride:
    URL_FORMAT_OVERRIDE = None

    def __getattr__(self, name):
        return getattr(api_settings, name)


class _OwnFormatParam(DefaultContentNegotiation):
    settings = _NoFormatOverride()


class _ReportMixin:
    query_serializer = ReportQuery

    def _params(self, request):
        data = validate_input(self.query_serializer, request.query_params)
        period = period_resolve(
            tenant=self.tenant, period=data["period"], start_date=data.get("startDate"), end_date=data.get("endDate")
        )
        return data, period, report_agent(tenant=self.tenant, agent_id=data.get("agentId"))

    def _summary(self, request):
        _, period, agent = self._params(request)
        return Response(report_build(tenant=self.tenant, period=period, agent=agent))

    def _timeseries(self, request):
        _, period, agent = self._params(request)
        return Response(report_timeseries(tenant=self.tenant, period=period, agent=agent))

    def _export(self, request):
        data, period, agent = self._params(request)
        entitlements.for_tenant(self.tenant).require_feature("reports_export")
        with export_slot(tenant=self.tenant), bounded_queries():
            if data["format"] == "csv":
                body, content_type = export_render(tenant=self.tenant, period=period, agent=agent, fmt="csv")
            else:
                report = export_data(tenant=self.tenant, period=period, agent=agent)
        if data["format"] == "csv":
            response = HttpResponse(body, content_type=content_type)
            name = export_filename(tenant=self.tenant, period=period, fmt="csv")
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        response = Response(report)
        name = export_filename(tenant=self.tenant, period=period, fmt="json")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class ServerReportView(_ReportMixin, ServerAPIView):
    required_scopes = {"GET": {REPORTS_READ}}


class ServerReportSummaryView(ServerReportView):
    @extend_schema(
        operation_id="getServerReportSummary",
        tags=SERVER_TAGS,
        summary="Read call, chat, satisfaction, and agent productivity summary.",
        parameters=[ReportQuery],
        responses={200: ReportOutput},
    )
    def get(self, request):
        return self._summary(request)


class ServerReportTimeseriesView(ServerReportView):
    @extend_schema(
        operation_id="getServerReportTimeseries",
        tags=SERVER_TAGS,
        summary="Read call, chat, and message trend data.",
        parameters=[ReportQuery],
        responses={200: ReportTimeseriesOutput},
    )
    def get(self, request):
        return self._timeseries(request)


class ServerReportExportView(ServerReportView):
    query_serializer = ReportExportQuery
    content_negotiation_class = _OwnFormatParam

    @extend_schema(
        operation_id="exportServerReport",
        tags=SERVER_TAGS,
        summary="Export call, chat, and agent productivity reports.",
        description="Returns a downloadable JSON envelope by default, or CSV when `format=csv`.",
        parameters=[ReportExportQuery],
        responses=EXPORT_RESPONSES,
    )
    def get(self, request):
        return self._export(request)


class AdminReportView(_ReportMixin, TenantAPIView):
    authentication_classes = [RuntimeBearerAuthentication]
    accepted_principals = {PrincipalKind.ADMIN_SDK}
    required_scopes = {"GET": {ADMIN_REPORTS_READ}}


class AdminReportSummaryView(AdminReportView):
    @extend_schema(
        operation_id="getAdminReportSummary",
        tags=ADMIN_TAGS,
        summary="Read call, chat, satisfaction, and agent productivity summary.",
        parameters=[ReportQuery],
        responses={200: ReportOutput},
    )
    def get(self, request):
        return self._summary(request)


class AdminReportTimeseriesView(AdminReportView):
    @extend_schema(
        operation_id="getAdminReportTimeseries",
        tags=ADMIN_TAGS,
        summary="Read call, chat, and message trend data for admin dashboards.",
        parameters=[ReportQuery],
        responses={200: ReportTimeseriesOutput},
    )
    def get(self, request):
        return self._timeseries(request)


class AdminReportExportView(AdminReportView):
    query_serializer = ReportExportQuery
    content_negotiation_class = _OwnFormatParam
    required_scopes = {"GET": {ADMIN_REPORTS_EXPORT}}

    @extend_schema(
        operation_id="exportAdminReport",
        tags=ADMIN_TAGS,
        summary="Export admin report data.",
        description="Returns a downloadable JSON envelope by default, or CSV when `format=csv`. "
        "Needs the `admin:reports:export` scope and the plan feature `reports_export`.",
        parameters=[ReportExportQuery],
        responses=EXPORT_RESPONSES,
    )
    def get(self, request):
        return self._export(request)
