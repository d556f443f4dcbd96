"""The call link's page on the public site (``link_services.CALL_LINK_PATH``); the API routes are in ``api/urls.py``."""

from django.urls import path

from apps.calls.pages import call_join

urlpatterns = [
    path("call/join/<str:token>", call_join, name="call-join"),
]
