from django.urls import path

from apps.platform.api import views
from apps.platform.api.audit import PlatformAuditLogView

urlpatterns = [
    path("platform/auth/login", views.PlatformLoginView.as_view(), name="platform-login"),
    path("platform/auth/refresh", views.PlatformRefreshView.as_view(), name="platform-refresh"),
    path("platform/plan-contracts", views.PlanContractsView.as_view(), name="platform-plan-contracts"),
    path("platform/ai-pricing", views.AiPricingView.as_view(), name="platform-ai-pricing"),
    path("platform/ai-balance", views.AiBalanceOverviewView.as_view(), name="platform-ai-balance"),
    path(
        "platform/ai-balance/<str:clientId>/top-up",
        views.AiBalanceTopUpView.as_view(),
        name="platform-ai-balance-top-up",
    ),
    path(
        "platform/ai-balance/<str:clientId>/settings",
        views.AiBalanceSettingsView.as_view(),
        name="platform-ai-balance-settings",
    ),
    path("platform/audit-log", PlatformAuditLogView.as_view(), name="platform-audit-log"),
]
