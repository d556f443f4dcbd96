"""Server API credentials: create (secret once), list, update, disable, rotate; quota; cross-tenant 404."""

import re

import pytest

from apps.developer.models import ServerApiKey
from apps.developer.tests.factories import ServerApiKeyFactory
from apps.identity.sessions import SessionScope, session_issue
from apps.plans.tests.factories import subscribe
from apps.tenants.tests.factories import OwnerFactory, StaffFactory, TenantFactory
from ringnity.api.secrets import secret_digest

pytestmark = pytest.mark.django_db

LIST = "/api/sdk/developer/server-api-credentials"
HEALTH = "/api/server/health"


def _one(key_id):
    return f"{LIST}/{key_id}"


def _bearer(user, scope=SessionScope.OWNER):
    return {"HTTP_AUTHORIZATION": f"Bearer {session_issue(user=user, scope=scope).access}"}


def _key(secret):
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def owner():
    tenant = TenantFactory(slug="acme")
    subscribe(tenant, features={"chat": True, "server_api": True}, quotas={"server_api_keys": 2})
    return OwnerFactory(tenant=tenant)


def _create(client, owner, **body):
    payload = {"name": "Backend", "scopes": ["server:health"], **body}
    return client.post(LIST, payload, format="json", **_bearer(owner))


def test_create_returns_the_secret_once_and_stores_only_its_digest(api_client, assert_contract, owner):
    response = _create(api_client, owner, environment="test", scopes=["server:health", "server:tenant:read"])
    data = assert_contract(response, "createServerApiCredential", status=201)["data"]
    secret = data["secret"]
    assert re.fullmatch(r"rn_sk_test_[A-Za-z0-9_-]{43}", secret)
    credential = data["credential"]
    assert credential["environment"] == "test"
    assert credential["isActive"] is True
    assert credential["scopes"] == ["server:health", "server:tenant:read"]
    assert credential["secretPreview"].startswith("rn_sk_test_")
    assert credential["secretPreview"].endswith(secret[-4:])
    assert "lastUsedAt" not in credential
    row = ServerApiKey.objects.get(public_id=credential["id"])
    assert row.secret_digest == secret_digest(secret)
    assert secret not in {row.secret_digest, row.secret_last4, row.name}
    listed = api_client.get(LIST, **_bearer(owner)).json()["data"]["credentials"]
    assert secret not in str(listed)


def test_live_is_the_default_environment(api_client, assert_contract, owner):
    data = assert_contract(_create(api_client, owner), "createServerApiCredential", status=201)["data"]
    assert data["secret"].startswith("rn_sk_live_")


def test_new_secret_works_on_the_server_api(api_client, assert_contract, owner):
    secret = _create(api_client, owner).json()["data"]["secret"]
    assert_contract(api_client.get(HEALTH, **_key(secret)), "getServerApiHealth", status=200)


def test_unknown_scopes_and_bad_fields_are_all_reported_and_nothing_is_created(api_client, assert_contract, owner):
    response = api_client.post(
        LIST, {"name": " ", "scopes": ["server:health", "server:everything"], "environment": "prod"}, **_bearer(owner)
    )
    body = assert_contract(response, "createServerApiCredential", status=400)
    assert body["code"] == "VALIDATION_FAILED"
    fields = [d.split(":")[0] for d in body["details"]]
    assert sorted(fields) == ["environment", "name", "scopes"]
    assert "server:everything" in " ".join(body["details"])
    assert not ServerApiKey.objects.exists()


def test_missing_required_fields(api_client, assert_contract, owner):
    body = assert_contract(api_client.post(LIST, {}, format="json", **_bearer(owner)), "createServerApiCredential", 400)
    assert sorted(d.split(":")[0] for d in body["details"]) == ["name", "scopes"]


def test_quota_counts_active_keys_only(api_client, assert_contract, owner):
    first = _create(api_client, owner).json()["data"]["credential"]["id"]
    _create(api_client, owner)
    body = assert_contract(_create(api_client, owner), "createServerApiCredential", status=400)
    assert body["code"] == "QUOTA_EXCEEDED"
    assert "server_api_keys" in body["details"][0]
    assert ServerApiKey.objects.for_tenant(owner.tenant).count() == 2
    api_client.delete(_one(first), **_bearer(owner))
    assert_contract(_create(api_client, owner), "createServerApiCredential", status=201)
    # Re-enabling the disabled one would make three active keys: refused.
    response = api_client.patch(_one(first), {"isActive": True}, format="json", **_bearer(owner))
    assert assert_contract(response, "updateServerApiCredential", status=400)["code"] == "QUOTA_EXCEEDED"


def test_list_is_newest_first_with_a_constant_number_of_queries(
    api_client, assert_contract, owner, django_assert_max_num_queries
):
    for n in range(2):
        ServerApiKeyFactory(tenant=owner.tenant, name=f"k{n}")
    headers = _bearer(owner)
    api_client.get(LIST, **headers)  # warms the tenant's plan (the request rate limits read it once)
    with django_assert_max_num_queries(3) as few:
        assert_contract(api_client.get(LIST, **headers), "listServerApiCredentials", status=200)
    for n in range(2, 12):
        ServerApiKeyFactory(tenant=owner.tenant, name=f"k{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        data = assert_contract(api_client.get(LIST, **headers), "listServerApiCredentials", status=200)["data"]
    assert [c["name"] for c in data["credentials"]][:2] == ["k11", "k10"]
    assert len(data["credentials"]) == 12


def test_update_changes_name_and_scopes(api_client, assert_contract, owner):
    key = ServerApiKeyFactory(tenant=owner.tenant)
    response = api_client.patch(
        _one(key.public_id), {"name": "Renamed", "scopes": ["server:contacts:read"]}, format="json", **_bearer(owner)
    )
    credential = assert_contract(response, "updateServerApiCredential", status=200)["data"]["credential"]
    assert credential["name"] == "Renamed"
    assert credential["scopes"] == ["server:contacts:read"]
    # The health scope is gone, so the key is now refused there with the scope error.
    denied = api_client.get(HEALTH, **_key(key.secret))
    assert assert_contract(denied, "getServerApiHealth", status=403)["code"] == "SERVER_API_SCOPE_DENIED"


def test_update_rejects_unknown_scopes_and_environment_changes(api_client, assert_contract, owner):
    key = ServerApiKeyFactory(tenant=owner.tenant, environment="live")
    response = api_client.patch(
        _one(key.public_id), {"scopes": ["server:nope"], "environment": "test"}, format="json", **_bearer(owner)
    )
    body = assert_contract(response, "updateServerApiCredential", status=400)
    assert sorted(d.split(":")[0] for d in body["details"]) == ["environment", "scopes"]
    key.refresh_from_db()
    assert key.scopes == ["server:health"]
    same_env = api_client.patch(_one(key.public_id), {"environment": "live"}, format="json", **_bearer(owner))
    assert_contract(same_env, "updateServerApiCredential", status=200)


def test_update_rejects_a_non_boolean_is_active(api_client, assert_contract, owner):
    key = ServerApiKeyFactory(tenant=owner.tenant)
    response = api_client.patch(_one(key.public_id), {"isActive": "yes"}, format="json", **_bearer(owner))
    assert assert_contract(response, "updateServerApiCredential", status=400)["details"][0].startswith("isActive:")


def test_disable_keeps_the_record_and_the_key_stops_working(api_client, assert_contract, owner):
    key = ServerApiKeyFactory(tenant=owner.tenant)
    response = api_client.delete(_one(key.public_id), **_bearer(owner))
    credential = assert_contract(response, "disableServerApiCredential", status=200)["data"]["credential"]
    assert credential["isActive"] is False
    assert ServerApiKey.objects.filter(pk=key.pk, is_active=False).exists()
    refused = api_client.get(HEALTH, **_key(key.secret))
    assert assert_contract(refused, "getServerApiHealth", status=401)["code"] == "SERVER_API_KEY_INVALID"
    again = api_client.delete(_one(key.public_id), **_bearer(owner))
    assert_contract(again, "disableServerApiCredential", status=200)
    listed = api_client.get(LIST, **_bearer(owner)).json()["data"]["credentials"]
    assert [(c["id"], c["isActive"]) for c in listed] == [(key.public_id, False)]


def test_rotate_replaces_the_secret_immediately(api_client, assert_contract, owner):
    key = ServerApiKeyFactory(tenant=owner.tenant)
    assert api_client.get(HEALTH, **_key(key.secret)).status_code == 200
    response = api_client.post(f"{_one(key.public_id)}/rotate", **_bearer(owner))
    data = assert_contract(response, "rotateServerApiCredential", status=200)["data"]
    assert data["secret"] != key.secret
    assert data["secret"].startswith("rn_sk_live_")
    assert data["credential"]["id"] == key.public_id
    assert data["credential"]["secretPreview"].endswith(data["secret"][-4:])
    old = api_client.get(HEALTH, **_key(key.secret))
    assert assert_contract(old, "getServerApiHealth", status=401)["code"] == "SERVER_API_KEY_INVALID"
    assert_contract(api_client.get(HEALTH, **_key(data["secret"])), "getServerApiHealth", status=200)


def test_last_used_at_is_recorded_and_shown(api_client, assert_contract, owner):
    key = ServerApiKeyFactory(tenant=owner.tenant)
    api_client.get(HEALTH, **_key(key.secret))
    credential = api_client.get(LIST, **_bearer(owner)).json()["data"]["credentials"][0]
    assert credential["lastUsedAt"]


@pytest.mark.parametrize(
    ("method", "suffix", "operation_id"),
    [
        ("patch", "", "updateServerApiCredential"),
        ("delete", "", "disableServerApiCredential"),
        ("post", "/rotate", "rotateServerApiCredential"),
    ],
)
def test_tenant_b_cannot_touch_tenant_a_keys(api_client, assert_contract, owner, method, suffix, operation_id):
    key = ServerApiKeyFactory(tenant=owner.tenant, name="A's key")
    intruder = OwnerFactory(tenant=TenantFactory(slug="beta"))
    subscribe(intruder.tenant, quotas={"server_api_keys": 5})
    call = getattr(api_client, method)
    response = call(f"{_one(key.public_id)}{suffix}", {"name": "pwned"}, format="json", **_bearer(intruder))
    body = assert_contract(response, operation_id, status=404)
    assert body["code"] == "NOT_FOUND"
    assert "A's key" not in response.content.decode()
    key.refresh_from_db()
    assert (key.name, key.is_active, key.secret_digest) == ("A's key", True, secret_digest(key.secret))


def test_tenant_b_list_does_not_show_tenant_a_keys(api_client, assert_contract, owner):
    ServerApiKeyFactory(tenant=owner.tenant)
    intruder = OwnerFactory(tenant=TenantFactory(slug="beta"))
    data = assert_contract(api_client.get(LIST, **_bearer(intruder)), "listServerApiCredentials", status=200)["data"]
    assert data["credentials"] == []


def test_unknown_credential_is_404(api_client, assert_contract, owner):
    response = api_client.post(f"{_one('sak_doesnotexist')}/rotate", **_bearer(owner))
    assert_contract(response, "rotateServerApiCredential", status=404)


def test_agents_cannot_manage_credentials(api_client, assert_contract, owner):
    agent = StaffFactory(tenant=owner.tenant, role="agent")
    response = api_client.get(LIST, **_bearer(agent, SessionScope.WORKSPACE))
    assert assert_contract(response, "listServerApiCredentials", status=403)["code"] == "PERMISSION_DENIED"
    response = api_client.post(
        LIST, {"name": "x", "scopes": ["server:health"]}, **_bearer(agent, SessionScope.WORKSPACE)
    )
    assert_contract(response, "createServerApiCredential", status=403)
    assert not ServerApiKey.objects.exists()


def test_workspace_owner_token_may_manage_credentials(api_client, assert_contract, owner):
    response = api_client.post(
        LIST, {"name": "x", "scopes": ["server:health"]}, format="json", **_bearer(owner, SessionScope.WORKSPACE)
    )
    data = assert_contract(response, "createServerApiCredential", status=201)["data"]
    assert ServerApiKey.objects.get(public_id=data["credential"]["id"]).created_by == owner


def test_credentials_without_token_are_401(api_client, assert_contract):
    assert_contract(api_client.get(LIST), "listServerApiCredentials", status=401)


def test_last_used_at_is_written_at_most_once_a_minute(api_client, assert_contract, owner):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    key = ServerApiKeyFactory(tenant=owner.tenant)
    writes = []
    for _ in range(3):
        with CaptureQueriesContext(connection) as queries:
            assert_contract(api_client.get(HEALTH, **_key(key.secret)), "getServerApiHealth", status=200)
        writes.append(sum(q["sql"].lstrip().upper().startswith("UPDATE") for q in queries.captured_queries))
    assert writes == [1, 0, 0]


def test_a_disabled_key_can_be_re_enabled_within_the_quota(api_client, assert_contract, owner):
    key = ServerApiKeyFactory(tenant=owner.tenant)
    api_client.delete(_one(key.public_id), **_bearer(owner))
    response = api_client.patch(_one(key.public_id), {"isActive": True}, format="json", **_bearer(owner))
    assert assert_contract(response, "updateServerApiCredential", status=200)["data"]["credential"]["isActive"] is True
    assert_contract(api_client.get(HEALTH, **_key(key.secret)), "getServerApiHealth", status=200)


def _raw_json(client, method, url, raw: str, owner):
    """Sends ``raw`` as the JSON body as is (a lone surrogate such as "\\ud800" is valid JSON, not UTF-8)."""
    client.raise_request_exception = False
    return getattr(client, method)(url, raw.encode(), content_type="application/json", **_bearer(owner))


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ('"Back\\u0000end"', "name: must not contain"),
        ('"Back\\ud800end"', "name: must not contain"),
        ("42", "name: must be a string"),
        ('["Backend"]', "name: must be a string"),
    ],
)
def test_a_name_that_cannot_be_stored_is_a_400_on_create_and_update(api_client, assert_contract, owner, name, message):
    key = ServerApiKeyFactory(tenant=owner.tenant, name="Keep")
    body = '{"name": ' + name + ', "scopes": ["server:health"]}'
    created = assert_contract(_raw_json(api_client, "post", LIST, body, owner), "createServerApiCredential", 400)
    assert created["details"][0].startswith(message)
    updated = _raw_json(api_client, "patch", _one(key.public_id), '{"name": ' + name + "}", owner)
    assert assert_contract(updated, "updateServerApiCredential", status=400)["details"][0].startswith(message)
    assert list(ServerApiKey.objects.values_list("name", flat=True)) == ["Keep"]


def test_unknown_scopes_are_echoed_short_and_encodable(api_client, assert_contract, owner):
    raw = '{"name": "Backend", "scopes": ["server:health", "\\ud800", "' + "x" * 5000 + '"]}'
    body = assert_contract(_raw_json(api_client, "post", LIST, raw, owner), "createServerApiCredential", 400)
    assert len(body["details"]) == 2
    assert all(d.startswith("scopes: unknown scope") and len(d) < 500 for d in body["details"])
    assert not ServerApiKey.objects.exists()


@pytest.mark.parametrize(
    ("method", "suffix", "operation_id"),
    [
        ("patch", "", "updateServerApiCredential"),
        ("delete", "", "disableServerApiCredential"),
        ("post", "/rotate", "rotateServerApiCredential"),
    ],
)
def test_a_credential_id_with_a_nul_byte_is_404(api_client, assert_contract, owner, method, suffix, operation_id):
    api_client.raise_request_exception = False
    response = getattr(api_client, method)(
        f"{_one('sak_%00x')}{suffix}", {"name": "x"}, format="json", **_bearer(owner)
    )
    assert assert_contract(response, operation_id, status=404)["code"] == "NOT_FOUND"


def test_nulls_are_reported_together_with_every_other_bad_field(api_client, assert_contract, owner):
    body = {"name": None, "scopes": ["server:bogus"], "environment": None}
    created = assert_contract(
        api_client.post(LIST, body, format="json", **_bearer(owner)), "createServerApiCredential", 400
    )
    assert sorted(d.split(":")[0] for d in created["details"]) == ["environment", "name", "scopes"]
    key = ServerApiKeyFactory(tenant=owner.tenant, name="Keep")
    body = {"name": None, "scopes": None, "environment": None, "isActive": None}
    updated = api_client.patch(_one(key.public_id), body, format="json", **_bearer(owner))
    details = assert_contract(updated, "updateServerApiCredential", status=400)["details"]
    assert sorted(d.split(":")[0] for d in details) == ["environment", "isActive", "name", "scopes"]
    key.refresh_from_db()
    assert (key.name, key.scopes, key.is_active) == ("Keep", ["server:health"], True)
    assert ServerApiKey.objects.count() == 1


def test_a_long_scope_list_is_refused_in_one_line_not_echoed_entry_by_entry(api_client, assert_contract, owner):
    body = {"name": "Backend", "scopes": ["x"] * 5000}
    response = api_client.post(LIST, body, format="json", **_bearer(owner))
    details = assert_contract(response, "createServerApiCredential", status=400)["details"]
    assert details == ["scopes: at most 50 entries."]
    assert len(response.content) < 1000
