"""Who is calling: one type for every security scheme of the contract."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class PrincipalKind(StrEnum):
    OWNER = "owner"  # OwnerBearer: tenant owner on the main site (simplejwt, scope=owner)
    WORKSPACE = "workspace"  # WorkspaceBearer: staff on the {slug}. dashboard (simplejwt, scope=workspace)
    PLATFORM = "platform"  # PlatformBearer: platform operators (simplejwt, scope=platform)
    SERVER_KEY = "server_key"  # ServerApiKey: customer backends (rn_sk_...)
    VISITOR = "visitor"  # RuntimeBearer of kind visitor
    AGENT = "agent"  # RuntimeBearer of kind agent
    ADMIN_SDK = "admin_sdk"  # RuntimeBearer of kind admin
    OAUTH = "oauth"  # OAuthAccessToken (django-oauth-toolkit)


DASHBOARD_KINDS = frozenset({PrincipalKind.OWNER, PrincipalKind.WORKSPACE})
RUNTIME_KINDS = frozenset({PrincipalKind.VISITOR, PrincipalKind.AGENT, PrincipalKind.ADMIN_SDK})


@dataclass(frozen=True)
class Principal:
    """The authenticated caller, set as ``request.auth`` by every authentication class.

    ``tenant`` is the only source of the tenant for a request: no body field,
    query parameter or header may choose it.
    """

    kind: PrincipalKind
    tenant: Any = None  # apps.tenants.models.Tenant | None (platform operators have none)
    user: Any = None  # apps.tenants.models.User for owner/workspace/platform/agent/oauth
    credential: Any = None  # ServerApiKey, OAuth AccessToken, ...
    subject: str = ""  # runtime subject (visitor id, agent id) or user public id
    scopes: frozenset[str] = field(default_factory=frozenset)
    token_id: str = ""
    claims: dict = field(default_factory=dict)

    @property
    def credential_reference(self) -> str:
        """One stable name of the credential behind the request, for per-credential budgets and
        idempotency scopes: the Server API key (its public id), the dashboard or operator account, the
        runtime or chat session's subject, the OAuth client and user (a refreshed token keeps it)."""
        if self.kind == PrincipalKind.OAUTH:
            return f"oauth:{getattr(self.credential, 'application_id', '')}:{self.subject}"
        return f"{self.kind}:{self.subject}" if self.subject else ""

    def has_scopes(self, required) -> bool:
        return set(required) <= self.scopes
