"""The local demo: one tenant that can take the whole tour, and the banner that says how.

``demo_seed`` is idempotent and goes through the same services as the API (plan, allowed
domains, Server API key quota and scopes), so what it seeds is what a customer could set up.
DEBUG only: the passwords below are published in the README.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

from django.db import transaction

from apps.developer import services as developer_services
from apps.developer.models import AllowedDomain, ServerApiKey
from apps.plans.models import Plan
from apps.plans.seed import catalog_seed
from apps.plans.services import subscription_set
from apps.tenants import services
from apps.tenants.models import PlatformRole, StaffRole, Tenant, User

DEMO_SLUG = "demo"
DEMO_PLAN = "professional"
DEMO_OWNER_EMAIL = "owner@demo.ringnity.local"
DEMO_OPERATOR_EMAIL = "operator@demo.ringnity.local"
DEMO_PASSWORD = "ringnity-demo-2026"  # noqa: S105 - local demo data, refused outside DEBUG
DEMO_AGENTS = ("agent1", "agent2")
DEMO_ORIGINS = ("localhost", "127.0.0.1")
DEMO_KEY_NAME = "Demo server (all scopes)"


@dataclass
class DemoSeed:
    tenant: Tenant
    key: ServerApiKey
    #: The key's secret: only when this run created the key (a stored key's secret is unknowable).
    secret: str | None = None
    actions: list[str] = field(default_factory=list)


def _tenant(actions: list[str]) -> Tenant:
    tenant = Tenant.objects.filter(slug=DEMO_SLUG).first()
    if tenant is not None:
        actions.append(f"kept tenant '{DEMO_SLUG}'")
        return tenant
    actions.append(f"created tenant '{DEMO_SLUG}'")
    return services.tenant_create(
        slug=DEMO_SLUG, name="Demo Company", owner_email=DEMO_OWNER_EMAIL, owner_password=DEMO_PASSWORD
    )


def _agents(tenant: Tenant, actions: list[str]) -> None:
    for username in DEMO_AGENTS:
        if User.objects.filter(tenant=tenant, username=username).exists():
            actions.append(f"kept agent '{username}'")
            continue
        services.staff_create(
            tenant=tenant,
            username=username,
            password=DEMO_PASSWORD,
            role=StaffRole.AGENT,
            name=username.capitalize(),
            department_name="Support",
        )
        actions.append(f"created agent '{username}'")


def _key(tenant: Tenant, new_key: bool, actions: list[str]) -> tuple[ServerApiKey, str | None]:
    keys = ServerApiKey.objects.for_tenant(tenant).filter(name=DEMO_KEY_NAME, is_active=True)
    if new_key:
        for key in keys:
            developer_services.server_api_key_disable(tenant=tenant, public_id=key.public_id)
            actions.append(f"disabled Server API key …{key.secret_last4}")
    else:
        key = keys.order_by("-created_at").first()
        if key is not None:
            actions.append(f"kept Server API key …{key.secret_last4}")
            return key, None
    key, secret = developer_services.server_api_key_create(
        tenant=tenant, name=DEMO_KEY_NAME, scopes=list(developer_services.SERVER_API_SCOPES), environment="test"
    )
    actions.append(f"created Server API key …{key.secret_last4}")
    return key, secret


@transaction.atomic
def demo_seed(*, new_key: bool = False) -> DemoSeed:
    """The demo tenant on ``professional`` (whose quotas fit what is seeded), local origins allowed,
    an owner, two agents, a platform operator and a Server API key with every scope."""
    actions: list[str] = []
    if not Plan.objects.filter(slug=DEMO_PLAN).exists():
        catalog_seed()
        actions.append("seeded the plan catalog")
    tenant = _tenant(actions)
    subscription_set(tenant=tenant, plan_slug=DEMO_PLAN)
    current = list(AllowedDomain.objects.for_tenant(tenant).values_list("domain", flat=True))
    if not set(DEMO_ORIGINS) <= set(current):
        developer_services.allowed_domains_replace(tenant=tenant, entries=sorted({*current, *DEMO_ORIGINS}))
        actions.append(f"allowed origins {', '.join(DEMO_ORIGINS)}")
    _agents(tenant, actions)
    _, created = services.platform_operator_create(
        email=DEMO_OPERATOR_EMAIL, password=DEMO_PASSWORD, role=PlatformRole.ADMIN, name="Demo Operator"
    )
    actions.append(f"{'created' if created else 'kept'} platform operator {DEMO_OPERATOR_EMAIL}")
    key, secret = _key(tenant, new_key, actions)
    return DemoSeed(tenant=tenant, key=key, secret=secret, actions=actions)


def curl_create_contact(base: str, secret: str) -> str:
    body = '{"name": "Ada Lovelace", "phone": "+14155550100", "email": "ada@example.com"}'
    return (
        f"curl -s -X POST {base}/api/server/contacts -H {shlex.quote('Authorization: Bearer ' + secret)}"
        f" -H 'Content-Type: application/json' -d {shlex.quote(body)}"
    )


def banner(base: str, *, client_id: str, widget_key: str, key_last4: str, secret: str | None) -> str:
    """What ``make run`` ends with: where everything is and how to sign in, in a dozen lines."""
    if secret:
        key_line = f"{secret}   (shown once: copy it now)"
        try_it = curl_create_contact(base, secret)
    else:
        key_line = (
            f"rn_sk_test_…{key_last4} (created earlier; secrets are shown once — `make run NEW_KEY=1` for a new one)"
        )
        try_it = f"curl -s {base}/api/sdk/health"
    rows = [
        ("Widget demo", f"{base}/demo/   (the chat widget on a sample page; answer as an agent below)"),
        ("API", f"{base}/api"),
        ("Docs", f"{base}/api/docs/   (Redoc: {base}/api/redoc/)"),
        ("Schema", f"{base}/api/schema/"),
        ("Console", f"{base}/admin/   {DEMO_OPERATOR_EMAIL} / {DEMO_PASSWORD}"),
        ("Owner", f"{DEMO_OWNER_EMAIL} / {DEMO_PASSWORD}   (POST /api/auth/owner-login)"),
        (
            "Agents",
            f"{', '.join(DEMO_AGENTS)} / {DEMO_PASSWORD} in workspace '{DEMO_SLUG}'   (POST /api/auth/workspace-login, "
            "then /api/auth/workspace-agent-token for /api/agent-sdk/*)",
        ),
        ("Inbox", f"{base}/inbox/?workspace={DEMO_SLUG}&username={DEMO_AGENTS[0]}   (password {DEMO_PASSWORD})"),
        ("SDK", f"clientId {client_id}, public key {widget_key}, origins {', '.join(DEMO_ORIGINS)}"),
        ("Server key", key_line),
    ]
    width = max(len(name) for name, _ in rows)
    lines = ["", f"Ringnity demo is running at {base}/ (tenant '{DEMO_SLUG}' on plan '{DEMO_PLAN}')"]
    lines += [f"  {name:<{width}}  {value}" for name, value in rows]
    lines += ["Try it:", f"  {try_it}", ""]
    return "\n".join(lines)


def seed_banner(seed: DemoSeed, base: str) -> str:
    return banner(
        base,
        client_id=seed.tenant.public_id,
        widget_key=seed.tenant.public_widget_key,
        key_last4=seed.key.secret_last4,
        secret=seed.secret,
    )
