"""The audit log's readers: ``GET /platform/audit-log`` (operators), ``GET /sdk/developer/audit-log``
(a tenant's owner and admins, own rows only) and the console page (every operator, read-only)."""

import pytest
from django.urls import reverse

from apps.audit.context import audit_actor
from apps.audit.models import ActorKind, AuditEntry
from apps.audit.services import audit_record
from apps.developer.tests.factories import ServerApiKeyFactory, server_key_headers
from apps.identity.sessions import SessionScope
from apps.identity.tests.fixtures import dashboard_headers
from apps.platform.tests.conftest import platform_headers
from apps.tenants.models import PlatformRole, StaffRole
from apps.tenants.tests.factories import OwnerFactory, PlatformOperatorFactory, StaffFactory, TenantFactory

pytestmark = pytest.mark.django_db
PLATFORM = "/api/platform/audit-log"
DEVELOPER = "/api/sdk/developer/audit-log"


@pytest.fixture
def world():
    """Two tenants with a row each (keys) and one platform-level row (pricing)."""
    acme, globex = OwnerFactory(tenant=TenantFactory(slug="acme")), OwnerFactory(tenant=TenantFactory(slug="globex"))
    with audit_actor(kind=ActorKind.OWNER, id=acme.public_id, label=acme.email):
        audit_record(
            action="server_api_key.create", target=("serverapikey", "key_a"), after={"n": 1}, tenant=acme.tenant
        )
    with audit_actor(kind=ActorKind.OWNER, id=globex.public_id):
        audit_record(action="server_api_key.rotate", target=("serverapikey", "key_g"), tenant=globex.tenant)
    with audit_actor(kind=ActorKind.PLATFORM, id="usr_ops"):
        audit_record(action="ai_pricing.update", target=("aipricing", 1), before={"m": 2}, after={"m": 3})
    return acme, globex


def _ids(body):
    return [entry["target"]["id"] for entry in body["data"]["entries"]]


def test_operators_read_every_row_newest_first_with_filters(api_client, assert_contract, world):
    acme, _ = world
    headers = platform_headers(PlatformOperatorFactory(platform_role=PlatformRole.SUPPORT))  # read-only role reads
    body = assert_contract(api_client.get(PLATFORM, **headers), "listPlatformAuditLog", status=200)
    assert _ids(body) == ["1", "key_g", "key_a"]
    assert body["data"]["pagination"] == {"total": 3, "page": 1, "limit": 50, "hasMore": False}
    first = body["data"]["entries"][0]
    assert first["clientId"] is None
    assert (first["action"], first["actor"]["kind"], first["before"], first["after"]) == (
        "ai_pricing.update",
        "platform",
        {"m": 2},
        {"m": 3},
    )
    one_tenant = api_client.get(PLATFORM, {"clientId": acme.tenant.public_id}, **headers)
    assert _ids(assert_contract(one_tenant, "listPlatformAuditLog", status=200)) == ["key_a"]
    assert _ids(api_client.get(PLATFORM, {"scope": "platform"}, **headers).json()) == ["1"]
    assert _ids(api_client.get(PLATFORM, {"action": "server_api_key."}, **headers).json()) == ["key_g", "key_a"]
    assert _ids(api_client.get(PLATFORM, {"action": "server_api_key.rotate"}, **headers).json()) == ["key_g"]
    assert _ids(api_client.get(PLATFORM, {"actorKind": "platform"}, **headers).json()) == ["1"]
    assert _ids(api_client.get(PLATFORM, {"actorId": acme.public_id}, **headers).json()) == ["key_a"]
    paged = api_client.get(PLATFORM, {"limit": 2, "page": 2}, **headers).json()["data"]
    assert (len(paged["entries"]), paged["pagination"]["hasMore"]) == (1, False)


def test_bad_filters_are_a_400_and_an_unknown_tenant_a_404(api_client, assert_contract, world):
    headers = platform_headers(PlatformOperatorFactory(platform_role=PlatformRole.ADMIN))
    bad = api_client.get(PLATFORM, {"actorKind": "nobody", "since": "yesterday", "limit": 1000}, **headers)
    details = assert_contract(bad, "listPlatformAuditLog", status=400)["details"]
    assert {detail.split(":")[0] for detail in details} == {"actorKind", "since", "limit"}
    nul = api_client.get(PLATFORM, {"action": "a\x00b", "targetId": "\x00"}, **headers)  # never a database error
    assert {d.split(":")[0] for d in assert_contract(nul, "listPlatformAuditLog", status=400)["details"]} == {
        "action",
        "targetId",
    }
    missing = api_client.get(PLATFORM, {"clientId": "ten_nobody"}, **headers)
    assert assert_contract(missing, "listPlatformAuditLog", status=404)["code"] == "NOT_FOUND"


def test_only_platform_operators_read_the_platform_log(api_client, assert_contract, world):
    acme, _ = world
    assert_contract(api_client.get(PLATFORM), "listPlatformAuditLog", status=401)
    for headers in (
        dashboard_headers(acme),
        server_key_headers(ServerApiKeyFactory(tenant=acme.tenant, scopes=["server:health"])),
    ):
        assert_contract(api_client.get(PLATFORM, **headers), "listPlatformAuditLog", status=401)


def test_owners_and_admins_read_their_own_tenants_rows_only(api_client, assert_contract, world):
    acme, globex = world
    body = assert_contract(api_client.get(DEVELOPER, **dashboard_headers(acme)), "listDeveloperAuditLog", status=200)
    assert _ids(body) == ["key_a"]  # not globex's, not the platform's
    assert body["data"]["entries"][0]["clientId"] == acme.tenant.public_id
    assert _ids(api_client.get(DEVELOPER, **dashboard_headers(globex)).json()) == ["key_g"]
    admin = StaffFactory(tenant=acme.tenant, role=StaffRole.ADMIN, username="ada")
    workspace = {**dashboard_headers(admin, SessionScope.WORKSPACE), "HTTP_X_RINGNITY_TENANT": "acme"}
    assert _ids(api_client.get(DEVELOPER, **workspace).json()) == ["key_a"]
    agent = StaffFactory(tenant=acme.tenant, role=StaffRole.AGENT, username="joe")
    refused = api_client.get(
        DEVELOPER, **dashboard_headers(agent, SessionScope.WORKSPACE), HTTP_X_RINGNITY_TENANT="acme"
    )
    assert_contract(refused, "listDeveloperAuditLog", status=403)
    operator = platform_headers(PlatformOperatorFactory(platform_role=PlatformRole.OWNER))
    assert_contract(api_client.get(DEVELOPER, **operator), "listDeveloperAuditLog", status=401)


def test_console_page_lists_filters_searches_and_opens_rows_read_only(client, world):
    acme, _ = world
    client.force_login(PlatformOperatorFactory(platform_role=PlatformRole.OWNER))
    changelist = reverse("admin:audit_auditentry_changelist")
    page = client.get(changelist)
    html = page.content.decode()
    assert page.status_code == 200
    for needle in ("server_api_key.create", "ai_pricing.update", "actor_kind__exact", "created_at__gte", "tenant__id"):
        assert needle in html, needle
    assert reverse("admin:audit_auditentry_add") not in html
    filtered = client.get(changelist, {"actor_kind__exact": "platform"}).content.decode()
    assert ("aipricing:1" in filtered, "serverapikey:key_a" in filtered) == (True, False)
    by_tenant = client.get(changelist, {"tenant__id__exact": acme.tenant.pk}).content.decode()
    assert ("serverapikey:key_a" in by_tenant, "serverapikey:key_g" in by_tenant) == (True, False)
    searched = client.get(changelist, {"q": "key_g"}).content.decode()
    assert ("serverapikey:key_g" in searched, "serverapikey:key_a" in searched) == (True, False)
    row = AuditEntry.objects.get(target_id="key_a")
    opened = client.get(reverse("admin:audit_auditentry_change", args=[row.pk]))
    assert opened.status_code == 200
    assert 'name="_save"' not in opened.content.decode()
    assert client.post(reverse("admin:audit_auditentry_change", args=[row.pk]), {"action": "x"}).status_code == 403
    assert client.post(reverse("admin:audit_auditentry_delete", args=[row.pk]), {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.get(pk=row.pk).action == "server_api_key.create"
