"""The OAuth scope catalog of Login with Ringnity, and django-oauth-toolkit's scopes backend on it.

Every value of the contract's ``OAuthScope`` enum is in ``CATALOG`` with a category, a sensitive
flag and a plain-words description (the consent page shows it).

The status rule, from the contract's ``x-ringnity-oauth-scope-coverage.plannedScopes`` (the coverage map
of scopes "still marked planned in the dashboard scope catalog"): a scope it lists whose entry says
``openApiStatus: documented`` and whose operations this server serves is ``available``; one marked
``no-public-operation-yet`` (or ``partial``: its public surface is admittedly incomplete) stays
``planned``, as the map says ("intentionally remain visible as roadmap scopes only"). A scope the map
does not list is available. Only available scopes can be given to a client, requested at
``/oauth/authorize`` or held by a token. ``apps/oauth/tests/test_scopes.py`` derives the available set from the
contract and the URL conf and compares it with this module, so a contract update that moves a scope
shows up as a failing test, not as a silent difference.

So ``tenant.domains.write`` (documented, ``updateDeveloperAllowedDomains`` served) is available, and
the create-client default and ``addRingnityOAuthAllowedDomain`` that name it work as the contract
describes. An available scope is a grant the user consents to; which operations accept an OAuth
token at all is each operation's security (today: userinfo, the widget key, allowed domains).
"""

from __future__ import annotations

from dataclasses import dataclass

from oauth2_provider.scopes import BaseScopes


@dataclass(frozen=True)
class ScopeInfo:
    scope: str
    category: str
    sensitive: bool
    description: str


def _s(scope: str, category: str, description: str, *, sensitive: bool = False) -> ScopeInfo:
    return ScopeInfo(scope, category, sensitive, description)


_ID, _USER, _TENANT, _STAFF = "Identity", "User profile", "Tenant / Business", "Staff"
_RUNTIME, _AGENTS, _CRM, _CALLS = "SDK runtime", "Agents", "Contacts & conversations", "Calls"
_AI, _REPORTS, _HOOKS, _DEV, _MEDIA, _BILLING = "AI", "Reports", "Webhooks", "Developer", "Media", "Billing"

CATALOG: tuple[ScopeInfo, ...] = (
    _s("openid", _ID, "Sign you in with your Ringnity account."),
    _s("profile", _ID, "See your name."),
    _s("email", _ID, "See your e-mail address."),
    _s("offline_access", _ID, "Stay signed in when you are not using the app."),
    _s("user.profile.read", _USER, "Read your Ringnity profile."),
    _s("user.profile.write", _USER, "Change your Ringnity profile.", sensitive=True),
    _s("user.avatar.read", _USER, "See your profile picture."),
    _s("user.avatar.write", _USER, "Change your profile picture.", sensitive=True),
    _s("tenant.read", _TENANT, "See which Ringnity workspace you belong to (its id and address)."),
    _s("tenant.profile.read", _TENANT, "Read your workspace's business profile."),
    _s("tenant.profile.write", _TENANT, "Change your workspace's business profile.", sensitive=True),
    _s("tenant.branding.read", _TENANT, "See your workspace's branding."),
    _s("tenant.branding.write", _TENANT, "Change your workspace's branding.", sensitive=True),
    _s("tenant.settings.read", _TENANT, "Read your workspace's settings."),
    _s("tenant.settings.write", _TENANT, "Change your workspace's settings.", sensitive=True),
    _s("tenant.domains.read", _TENANT, "See the websites allowed to show your chat widget."),
    _s("tenant.domains.write", _TENANT, "Add websites allowed to show your chat widget.", sensitive=True),
    _s("roles.read", _ID, "See your role in the workspace."),
    _s("staff.read", _STAFF, "See your workspace's staff list."),
    _s("staff.write", _STAFF, "Change your workspace's staff accounts.", sensitive=True),
    _s("staff.invite", _STAFF, "Invite people to your workspace.", sensitive=True),
    _s("staff.disable", _STAFF, "Disable staff accounts of your workspace.", sensitive=True),
    _s("runtime.tokens.write", _RUNTIME, "Issue SDK runtime tokens for your workspace.", sensitive=True),
    _s("runtime.sessions.read", _RUNTIME, "See SDK runtime sessions."),
    _s("runtime.sessions.write", _RUNTIME, "Start and end SDK runtime sessions.", sensitive=True),
    _s("agents.read", _AGENTS, "See your workspace's agents."),
    _s("agents.write", _AGENTS, "Change your workspace's agents.", sensitive=True),
    _s("agents.presence.read", _AGENTS, "See whether agents are online."),
    _s("agents.presence.write", _AGENTS, "Change agents' online status."),
    _s("contacts.read", _CRM, "Read your workspace's contacts.", sensitive=True),
    _s("contacts.write", _CRM, "Create and change contacts.", sensitive=True),
    _s("contacts.delete", _CRM, "Delete contacts.", sensitive=True),
    _s("conversations.read", _CRM, "Read conversations and messages.", sensitive=True),
    _s("conversations.write", _CRM, "Send messages in conversations.", sensitive=True),
    _s("conversations.assign", _CRM, "Assign conversations to agents."),
    _s("conversations.close", _CRM, "Close conversations."),
    _s("calls.read", _CALLS, "See calls.", sensitive=True),
    _s("calls.write", _CALLS, "Start and end calls.", sensitive=True),
    _s("calls.recordings.read", _CALLS, "Listen to call recordings.", sensitive=True),
    _s("calls.recordings.delete", _CALLS, "Delete call recordings.", sensitive=True),
    _s("ai.read", _AI, "See AI assistant settings and answers."),
    _s("ai.write", _AI, "Change AI assistant settings.", sensitive=True),
    _s("ai.knowledge.read", _AI, "Read the AI knowledge base."),
    _s("ai.knowledge.write", _AI, "Change the AI knowledge base.", sensitive=True),
    _s("ai.usage.read", _AI, "See AI usage."),
    _s("reports.read", _REPORTS, "Read reports."),
    _s("reports.export", _REPORTS, "Export reports.", sensitive=True),
    _s("webhooks.read", _HOOKS, "See webhook endpoints and deliveries."),
    _s("webhooks.write", _HOOKS, "Create and change webhook endpoints.", sensitive=True),
    _s("webhooks.delete", _HOOKS, "Delete webhook endpoints.", sensitive=True),
    _s("webhooks.test", _HOOKS, "Send test webhook events."),
    _s("developer.read", _DEV, "Read your workspace's developer settings and public widget key."),
    _s("developer.write", _DEV, "Change your workspace's developer settings.", sensitive=True),
    _s("sdk.keys.read", _DEV, "Read your workspace's public SDK (widget) key."),
    _s("sdk.keys.write", _DEV, "Create and rotate SDK keys.", sensitive=True),
    _s("oauth.clients.read", _DEV, "See your workspace's OAuth apps."),
    _s("oauth.clients.write", _DEV, "Create and change OAuth apps.", sensitive=True),
    _s("media.read", _MEDIA, "Read uploaded files."),
    _s("media.write", _MEDIA, "Upload files.", sensitive=True),
    _s("media.delete", _MEDIA, "Delete uploaded files.", sensitive=True),
    _s("billing.read", _BILLING, "See your plan and invoices."),
    _s("billing.write", _BILLING, "Change your plan and payment details.", sensitive=True),
)
BY_SCOPE = {info.scope: info for info in CATALOG}

#: The contract's ``plannedScopes`` entries that stay planned by the rule above: ``no-public-operation-yet``
#: (and ``partial``: ``tenant.settings.write``, ``ai.usage.read``, ``media.read``).
PLANNED_SCOPES = frozenset(
    [
        "user.profile.write",
        "user.avatar.read",
        "user.avatar.write",
        "tenant.profile.write",
        "tenant.branding.write",
        "tenant.settings.write",
        "staff.write",
        "staff.invite",
        "staff.disable",
        "runtime.sessions.read",
        "agents.write",
        "calls.recordings.read",
        "calls.recordings.delete",
        "ai.usage.read",
        "media.read",
        "billing.write",
    ]
)
AVAILABLE_SCOPES: tuple[str, ...] = tuple(info.scope for info in CATALOG if info.scope not in PLANNED_SCOPES)
#: The contract's default of ``CreateOAuthClientRequest.allowedScopes`` (all available).
DEFAULT_CLIENT_SCOPES = (
    "openid",
    "profile",
    "email",
    "tenant.read",
    "roles.read",
    "developer.read",
    "tenant.domains.read",
    "tenant.domains.write",
)
RECOMMENDED_SCOPES = ("openid", "profile", "email", "tenant.read", "roles.read")
#: Scopes about the whole tenant: granted only to owners and admins (``scopes_for_user``).
TENANT_LEVEL_PREFIXES = ("tenant.", "developer.", "sdk.keys.", "staff.")
ADMIN_ROLES = frozenset({"owner", "admin"})


def status(scope: str) -> str:
    return "planned" if scope in PLANNED_SCOPES else "available"


def catalog_items() -> list[dict]:
    return [
        {
            "scope": info.scope,
            "category": info.category,
            "status": status(info.scope),
            "sensitive": info.sensitive,
            "description": info.description,
        }
        for info in CATALOG
    ]


def is_tenant_level(scope: str) -> bool:
    return scope.startswith(TENANT_LEVEL_PREFIXES)


def scopes_for_user(scopes, user) -> list[str]:
    """What ``user`` may grant of ``scopes``: everything for owners and admins, else no tenant-level scope."""
    if user.role in ADMIN_ROLES:
        return list(scopes)
    return [scope for scope in scopes if not is_tenant_level(scope)]


def parse(scope_string: str) -> list[str]:
    return [part for part in (scope_string or "").split() if part]


class RingnityScopes(BaseScopes):
    """django-oauth-toolkit's scopes backend: the catalog, narrowed to what a client may ask for."""

    def get_all_scopes(self):
        return {info.scope: info.description for info in CATALOG}

    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        if application is None:
            return list(AVAILABLE_SCOPES)
        allowed = set(application.allowed_scopes or [])
        return [scope for scope in AVAILABLE_SCOPES if scope in allowed]

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        return ["openid"]
