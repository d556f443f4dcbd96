"""Dashboard-session headers for other apps' API tests."""

from apps.identity.sessions import SessionScope, session_issue


def dashboard_headers(user, scope: SessionScope = SessionScope.OWNER) -> dict:
    """``Authorization: Bearer <access>`` of a fresh owner (or, with ``SessionScope.WORKSPACE``, staff) session."""
    return {"HTTP_AUTHORIZATION": f"Bearer {session_issue(user=user, scope=scope).access}"}
