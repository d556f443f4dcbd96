from django.urls import path

from apps.calls.api.views import (
    CallSessionAnswerView,
    CallSessionCollectionView,
    CallSessionDetailView,
    CallSessionEndView,
    CallSessionFailView,
    VisitorCallLinkView,
)

urlpatterns = [
    path("calls/sessions", CallSessionCollectionView.as_view(), name="call-sessions"),
    path("calls/sessions/<str:callSessionId>", CallSessionDetailView.as_view(), name="call-session"),
    path("calls/sessions/<str:callSessionId>/end", CallSessionEndView.as_view(), name="call-session-end"),
    path("calls/sessions/<str:callSessionId>/answer", CallSessionAnswerView.as_view(), name="call-session-answer"),
    path("calls/sessions/<str:callSessionId>/fail", CallSessionFailView.as_view(), name="call-session-fail"),
    path(
        "chat/visitor/conversations/<str:conversationId>/call-links",
        VisitorCallLinkView.as_view(),
        name="visitor-conversation-call-links",
    ),
]
