from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from apps.oauth.api.protocol import RootOpenIdConfigurationView
from apps.platform.demo_page import demo_page
from ringnity.api.fallback import api_not_found, bad_request, server_error
from ringnity.ops.views import HealthLiveView, HealthReadyView, MetricsView
from ringnity.site import landing, realtime_contract

api_patterns = [
    path("health/live", HealthLiveView.as_view(), name="health-live"),
    path("health/ready", HealthReadyView.as_view(), name="health-ready"),
    path("", include("apps.runtime.api.urls")),
    path("", include("apps.identity.api.urls")),
    path("", include("apps.developer.api.urls")),
    path("", include("apps.platform.api.urls")),
    path("", include("apps.oauth.api.urls")),
    path("", include("apps.chat.api.urls")),
    path("", include("apps.calls.api.urls")),
    path("", include("apps.ai.api.urls")),
    path("", include("apps.reports.api.urls")),
    path("", include("apps.webhooks.api.urls")),
]

urlpatterns = [
    path("", landing, name="landing"),
    path("admin/", admin.site.urls),
    path("metrics", MetricsView.as_view(), name="metrics"),
    path(".well-known/openid-configuration", RootOpenIdConfigurationView.as_view(), name="openid-configuration"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("api/docs/realtime.asyncapi.yaml", realtime_contract, name="realtime-contract"),
    path("api/", include(api_patterns)),
    path("", include("apps.calls.urls")),  # /call/join/<token>: the page a call link opens
    path("", include("apps.widget.urls")),  # /widget/v1.js and its strings tables
    path("demo/", demo_page, name="demo"),  # DEBUG only: the widget on a pretend customer page
    path("", include("apps.inbox.urls")),  # /inbox/: the agents' web inbox
    re_path(r"^[aA][pP][iI](?:/|$)", api_not_found),  # every method, /api, /API/...: the JSON 404 envelope
]

handler400 = bad_request
handler500 = server_error
