from django.urls import path

from apps.reports.api import views
from apps.reports.api.rating import VisitorConversationRatingView

urlpatterns = [
    path("server/reports/summary", views.ServerReportSummaryView.as_view(), name="server-report-summary"),
    path("server/reports/timeseries", views.ServerReportTimeseriesView.as_view(), name="server-report-timeseries"),
    path("server/reports/export", views.ServerReportExportView.as_view(), name="server-report-export"),
    path("admin-sdk/reports/summary", views.AdminReportSummaryView.as_view(), name="admin-report-summary"),
    path("admin-sdk/reports/timeseries", views.AdminReportTimeseriesView.as_view(), name="admin-report-timeseries"),
    path("admin-sdk/reports/export", views.AdminReportExportView.as_view(), name="admin-report-export"),
    path(
        "chat/visitor/conversations/<str:conversationId>/rating",
        VisitorConversationRatingView.as_view(),
        name="visitor-conversation-rating",
    ),
]
