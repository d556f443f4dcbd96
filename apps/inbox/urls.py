"""``/inbox/``: the agents' web inbox (a page for people; its data comes from the public API)."""

from django.urls import path

from apps.inbox.pages import inbox

urlpatterns = [
    path("inbox/", inbox, name="inbox"),
]
