"""Helpers shared by the runtime, Server API, Admin SDK and contacts tests."""

from apps.developer.tests.factories import ServerApiKeyFactory, server_key_headers
from apps.plans.tests.factories import subscribe
from apps.runtime.tokens import ADMIN_SCOPES, AGENT_SCOPES, VISITOR_SCOPES, TokenKind, issuing_key_context, token_issue
from apps.tenants.tests.factories import TenantFactory

ALL_SERVER_SCOPES = [
    "server:health",
    "server:tenant:read",
    "server:visitor-context:write",
    "server:agent-token:write",
    "server:admin-token:write",
    "server:contacts:read",
    "server:contacts:write",
]
FEATURES = {"chat": True, "voice_call": True, "video_call": False, "server_api": True, "reports_export": True}


def ready_tenant(*, features=None, quotas=None, **tenant_fields):
    """A tenant on a plan with the Server API, chat and voice, and unlimited contacts."""
    tenant = TenantFactory(**tenant_fields)
    subscribe(tenant, features=features or FEATURES, quotas=quotas or {"contacts": "unlimited"})
    return tenant


def server_headers(tenant, scopes=None) -> dict:
    return server_key_headers(ServerApiKeyFactory(tenant=tenant, scopes=scopes or ALL_SERVER_SCOPES))


def runtime_headers(tenant, kind: TokenKind = TokenKind.VISITOR, *, subject="vis_test", scopes=None, **kw) -> dict:
    """A runtime token of ``kind``; agent and admin tokens are bound to a fresh active Server API key."""
    default = {TokenKind.VISITOR: VISITOR_SCOPES, TokenKind.AGENT: AGENT_SCOPES, TokenKind.ADMIN: ADMIN_SCOPES}
    if kind in (TokenKind.AGENT, TokenKind.ADMIN):
        kw["context"] = {**issuing_key_context(ServerApiKeyFactory(tenant=tenant)), **kw.get("context", {})}
    issued = token_issue(
        kind=kind, tenant=tenant, subject=subject, scopes=default.get(kind, []) if scopes is None else scopes, **kw
    )
    return {"HTTP_X_RINGNITY_SDK_SESSION": issued.token}
