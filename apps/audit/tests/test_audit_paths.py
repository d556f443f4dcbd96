"""One test per privileged write path: a row with the right actor, target and redacted secrets.

API writes (owner, staff, Server API key, platform operator) carry the client address and the
request id; console writes name the operator; management commands name themselves.
"""

import pytest
from django.core.management import call_command

from apps.audit.models import ActorKind
from apps.audit.tests.helpers import REQUEST_ID, assert_from_the_request, assert_no_secret, only_row
from apps.developer.models import ServerApiKey
from apps.identity.sessions import SessionScope
from apps.identity.tests.fixtures import dashboard_headers
from apps.oauth.models import OAuthClient
from apps.oauth.tests.factories import allow_clients
from apps.plans.tests.factories import subscribe
from apps.tenants.models import PlatformRole, StaffRole, User
from apps.tenants.tests.factories import OwnerFactory, PlatformOperatorFactory, StaffFactory, TenantFactory
from apps.webhooks import signing
from apps.webhooks.tests.factories import webhook_headers, webhook_tenant

pytestmark = pytest.mark.django_db
KEYS = "/api/sdk/developer/server-api-credentials"
ORIGIN = {"HTTP_X_REQUEST_ID": REQUEST_ID}


@pytest.fixture
def owner():
    tenant = TenantFactory(slug="acme")
    subscribe(
        tenant,
        features={"chat": True, "server_api": True, "oauth_login": True},
        quotas={"server_api_keys": 3, "allowed_domains": 5},
    )
    return OwnerFactory(tenant=tenant)


def _owner(owner):
    return {**dashboard_headers(owner), **ORIGIN}


def test_server_api_key_create_update_disable_rotate_by_the_owner(api_client, owner):
    created = api_client.post(KEYS, {"name": "Backend", "scopes": ["server:health"]}, format="json", **_owner(owner))
    assert created.status_code == 201, created.content
    key_id, first = created.json()["data"]["credential"]["id"], created.json()["data"]["secret"]
    api_client.patch(f"{KEYS}/{key_id}", {"name": "Shop"}, format="json", **_owner(owner))
    rotated = api_client.post(f"{KEYS}/{key_id}/rotate", **_owner(owner)).json()["data"]["secret"]
    api_client.delete(f"{KEYS}/{key_id}", **_owner(owner))

    row = only_row("server_api_key.create")
    assert (row.actor_kind, row.actor_id, row.actor_label) == (ActorKind.OWNER, owner.public_id, owner.email)
    assert (row.tenant_id, row.target_type, row.target_id) == (owner.tenant_id, "serverapikey", key_id)
    assert (row.before, row.after["name"], row.after["is_active"]) == (None, "Backend", True)
    assert_from_the_request(row)
    update = only_row("server_api_key.update")
    assert (update.before["name"], update.after["name"]) == ("Backend", "Shop")
    assert only_row("server_api_key.rotate").target_id == key_id
    disable = only_row("server_api_key.disable")
    assert (disable.before["is_active"], disable.after["is_active"]) == (True, False)
    for action in ("create", "update", "rotate", "disable"):
        assert_no_secret(only_row(f"server_api_key.{action}"), first, rotated)


def test_allowed_domains_replace_by_a_staff_admin(api_client, owner):
    admin = StaffFactory(tenant=owner.tenant, role=StaffRole.ADMIN, username="ada")
    headers = {**dashboard_headers(admin, SessionScope.WORKSPACE), **ORIGIN, "HTTP_X_RINGNITY_TENANT": "acme"}
    response = api_client.put(
        "/api/sdk/developer/allowed-domains", {"allowedDomains": ["shop.example.com"]}, format="json", **headers
    )
    assert response.status_code == 200, response.content
    row = only_row("allowed_domains.replace")
    assert (row.actor_kind, row.actor_id, row.tenant_id) == (ActorKind.STAFF, admin.public_id, owner.tenant_id)
    assert (row.before, row.after) == ({"domains": []}, {"domains": ["shop.example.com"]})
    assert_from_the_request(row)


def test_webhook_endpoint_create_update_rotate_disable_by_a_server_key(api_client):
    tenant = webhook_tenant()
    headers = {**webhook_headers(tenant), **ORIGIN}
    body = {"url": "https://hooks.example.com/in", "events": ["contact.created"]}
    created = api_client.post("/api/server/webhooks", body, format="json", **headers).json()["data"]
    hook_id, first = created["webhook"]["id"], created["secret"]
    new_secret = signing.secret_generate()
    api_client.patch(f"/api/server/webhooks/{hook_id}", {"secret": new_secret}, format="json", **headers)
    api_client.delete(f"/api/server/webhooks/{hook_id}", **headers)

    row = only_row("webhook_endpoint.create")
    key = ServerApiKey.objects.get(tenant=tenant, scopes__contains=["server:webhook:write"])
    assert (row.actor_kind, row.actor_id, row.actor_label) == (ActorKind.SERVER_KEY, key.public_id, key.name)
    assert (row.tenant_id, row.target_id, row.after["url"]) == (tenant.pk, hook_id, body["url"])
    assert_from_the_request(row)
    assert only_row("webhook_endpoint.secret_rotate").target_id == hook_id
    disable = only_row("webhook_endpoint.disable")
    assert (disable.before["is_active"], disable.after["is_active"]) == (True, False)
    for action in ("create", "update", "secret_rotate", "disable"):
        assert_no_secret(only_row(f"webhook_endpoint.{action}"), first, new_secret)


def test_oauth_client_create_rotate_revoke_delete_by_the_owner(api_client, owner):
    allow_clients(owner.tenant, 3)
    clients = "/api/sdk/developer/oauth-clients"
    body = {"name": "Shop", "redirectUris": ["https://shop.example.com/cb"]}
    created = api_client.post(clients, body, format="json", **_owner(owner)).json()["data"]
    client_id, first = created["oauthClient"]["id"], created["clientSecret"]
    rotated = api_client.post(f"{clients}/{client_id}/rotate-secret", **_owner(owner)).json()["data"]["clientSecret"]
    api_client.delete(f"{clients}/{client_id}", **_owner(owner))
    assert api_client.delete(f"{clients}/{client_id}/revoked", **_owner(owner)).status_code == 200
    assert not OAuthClient.objects.filter(public_id=client_id).exists()

    for action in ("create", "secret_rotate", "revoke", "delete"):
        row = only_row(f"oauth_client.{action}")
        assert (row.actor_kind, row.tenant_id, row.target_id) == (ActorKind.OWNER, owner.tenant_id, client_id)
        assert_from_the_request(row)
        assert_no_secret(row, first, rotated)
    assert only_row("oauth_client.revoke").after["status"] == "revoked"


def test_ai_routing_mode_set_by_the_owner(api_client):
    from apps.ai.tests.factories import ai_tenant

    owner = OwnerFactory(tenant=ai_tenant())
    response = api_client.put("/api/sdk/developer/ai-routing", {"mode": "ai_first"}, format="json", **_owner(owner))
    assert response.status_code == 200, response.content
    row = only_row("routing_mode.set")
    assert (row.actor_kind, row.tenant_id) == (ActorKind.OWNER, owner.tenant_id)
    assert (row.before, row.after) == ({"routing_mode": "human_only"}, {"routing_mode": "ai_first"})


def test_ai_balance_pricing_and_plan_contracts_by_a_platform_operator(api_client, owner):
    from apps.platform.tests.conftest import platform_headers

    operator = PlatformOperatorFactory(platform_role=PlatformRole.ADMIN)
    headers = {**platform_headers(operator), **ORIGIN}
    tenant = owner.tenant
    top_up = f"/api/platform/ai-balance/{tenant.public_id}/top-up"
    assert api_client.post(top_up, {"amountCents": 500}, format="json", **headers).status_code == 200
    settings = f"/api/platform/ai-balance/{tenant.public_id}/settings"
    assert api_client.put(settings, {"blockOnZero": True}, format="json", **headers).status_code == 200
    pricing = api_client.put("/api/platform/ai-pricing", {"markupMultiplier": 3}, format="json", **headers)
    assert pricing.status_code == 200, pricing.content
    catalog = api_client.get("/api/platform/plan-contracts", **headers).json()["data"]
    assert api_client.put("/api/platform/plan-contracts", catalog, format="json", **headers).status_code == 200

    row = only_row("ai_balance.top_up")
    assert (row.actor_kind, row.actor_id, row.tenant_id) == (ActorKind.PLATFORM, operator.public_id, tenant.pk)
    assert (row.before["balance_cents"], row.after["balance_cents"]) == (0, 500)
    assert_from_the_request(row)
    assert only_row("ai_balance.settings_update").after == {"block_on_zero": True}
    pricing_row = only_row("ai_pricing.update")
    assert (pricing_row.tenant_id, pricing_row.actor_kind) == (None, ActorKind.PLATFORM)
    assert only_row("plan_catalog.replace").tenant_id is None


def test_console_actions_and_user_edits_name_the_operator(client, owner):
    from django.urls import reverse

    from apps.plans.tests.factories import plan_with

    operator = PlatformOperatorFactory(platform_role=PlatformRole.OWNER)
    client.force_login(operator)
    agent = StaffFactory(tenant=owner.tenant, role=StaffRole.AGENT, username="jane")
    changelist = reverse("admin:tenants_tenant_changelist")
    client.post(changelist, {"action": "suspend_tenants", "_selected_action": [owner.tenant.pk]}, **ORIGIN)
    plan = plan_with(slug="big", features={"chat": True})
    client.post(
        changelist, {"action": "change_plan", "_selected_action": [owner.tenant.pk], "apply": "1", "plan": plan.pk}
    )

    suspended = only_row("tenant.set_active")
    assert (suspended.actor_kind, suspended.actor_id) == (ActorKind.PLATFORM, operator.public_id)
    assert (suspended.before, suspended.after) == ({"is_active": True}, {"is_active": False})
    assert_from_the_request(suspended)
    changed = only_row("subscription.set", actor_kind=ActorKind.PLATFORM)
    assert (changed.after["plan"], changed.tenant_id) == ("big", owner.tenant_id)

    url = reverse("admin:tenants_user_change", args=[agent.pk])
    form = {
        "email": agent.email,
        "username": "jane",
        "name": "Jane",
        "platform_role": "",
        "is_active": "",
        "presence": "offline",
    }
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    row = only_row("user.update")
    assert (row.actor_kind, row.target_id, row.tenant_id) == (ActorKind.PLATFORM, agent.public_id, owner.tenant_id)
    assert (row.before["is_active"], row.after["is_active"]) == (True, False)
    assert "password" not in row.after


def test_console_pages_without_a_service_are_recorded_too(client, owner):
    """A feature key edited on its plain page: ``console.<model>.change`` with before and after."""
    from django.urls import reverse

    from apps.plans.models import FeatureKey

    client.force_login(PlatformOperatorFactory(platform_role=PlatformRole.ADMIN))
    feature = FeatureKey.objects.get(key="chat")
    url = reverse("admin:plans_featurekey_change", args=[feature.pk])
    form = {f: getattr(feature, f) for f in ("key", "name", "category", "status", "sort_order", "description")}
    form["name"] = "Live chat (renamed)"
    assert client.post(url, form).status_code == 302
    row = only_row("console.featurekey.change")
    assert (row.before["name"], row.after["name"]) == (feature.name, "Live chat (renamed)")
    assert row.actor_kind == ActorKind.PLATFORM


def test_management_commands_name_themselves_and_never_store_a_password(db):
    password = "Correct-Horse-42-battery"
    call_command("seed_plans", verbosity=0)
    call_command(
        "create_tenant",
        slug="globex",
        name="Globex",
        owner_email="boss@globex.test",
        owner_password=password,
        plan="starter",
    )
    call_command("create_staff", tenant="globex", username="hank", password=password, role="agent")
    call_command("createplatformadmin", email="ops@example.com", password=password, role="platform_admin")

    tenant_row = only_row("tenant.create")
    assert (tenant_row.actor_kind, tenant_row.actor_id) == (ActorKind.COMMAND, "create_tenant")
    assert (tenant_row.after["slug"], tenant_row.ip) == ("globex", "")
    staff = only_row("staff.create", target_id=User.objects.get(username="hank").public_id)
    assert (staff.actor_kind, staff.actor_id, staff.after["role"]) == (ActorKind.COMMAND, "create_staff", "agent")
    operator = only_row("platform_operator.create")
    assert (operator.actor_id, operator.tenant_id, operator.after["platform_role"]) == (
        "createplatformadmin",
        None,
        "platform_admin",
    )
    for row in (tenant_row, staff, operator):
        assert password not in str(row.after)
    assert operator.after["password"] == "[redacted]"
