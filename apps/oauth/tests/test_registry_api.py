"""The OAuth client registry (Developer Settings): create, list, update, rotate, revoke, delete."""

import re

import pytest
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from apps.identity.sessions import SessionScope, session_issue
from apps.oauth.models import OAuthClient
from apps.oauth.tests.factories import TOKEN, USERINFO, allow_clients, exchange, form_post, get_code, make_client
from apps.tenants.tests.factories import OwnerFactory, StaffFactory, TenantFactory

pytestmark = pytest.mark.django_db
LIST = "/api/sdk/developer/oauth-clients"
AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()


def _one(public_id, suffix=""):
    return f"{LIST}/{public_id}{suffix}"


def _bearer(user, scope=SessionScope.OWNER):
    return {"HTTP_AUTHORIZATION": f"Bearer {session_issue(user=user, scope=scope).access}"}


@pytest.fixture
def owner():
    tenant = TenantFactory(slug="acme")
    allow_clients(tenant, 3)
    return OwnerFactory(tenant=tenant)


def _create(api_client, owner, **body):
    payload = {"name": "WordPress", "redirectUris": ["https://shop.example.com/wp-login.php"], **body}
    return api_client.post(LIST, payload, format="json", **_bearer(owner))


def test_create_a_confidential_client_returns_its_secret_once(api_client, assert_contract, owner):
    response = _create(api_client, owner, allowedScopes=["openid", "email"])
    data = assert_contract(response, "createOAuthClient", status=201)["data"]
    created = data["oauthClient"]
    assert re.fullmatch(r"rn_oauth_[a-z0-9]{24}", created["clientId"])
    assert created["type"] == "confidential"
    assert created["status"] == "active"
    assert created["requirePkce"] is True
    assert created["allowedScopes"] == ["openid", "email"]
    secret = data["clientSecret"]
    row = OAuthClient.objects.get(client_id=created["clientId"])
    assert secret not in row.client_secret
    listed = api_client.get(LIST, **_bearer(owner))
    assert secret not in listed.content.decode()


def test_create_defaults_are_the_contracts_default_scopes(api_client, assert_contract, owner):
    data = assert_contract(_create(api_client, owner), "createOAuthClient", status=201)["data"]
    assert data["oauthClient"]["allowedScopes"] == [
        "openid",
        "profile",
        "email",
        "tenant.read",
        "roles.read",
        "developer.read",
        "tenant.domains.read",
        "tenant.domains.write",
    ]


def test_a_public_client_has_no_secret_and_always_pkce(api_client, assert_contract, owner):
    data = assert_contract(_create(api_client, owner, type="public"), "createOAuthClient", status=201)["data"]
    assert "clientSecret" not in data
    assert data["oauthClient"]["requirePkce"] is True
    refused = _create(api_client, owner, type="public", requirePkce=False)
    assert assert_contract(refused, "createOAuthClient", status=400)["details"] == [
        "requirePkce: public clients always require PKCE."
    ]


def test_a_planned_scope_is_refused_by_name(api_client, assert_contract, owner):
    response = _create(api_client, owner, allowedScopes=["openid", "billing.write"])
    body = assert_contract(response, "createOAuthClient", status=400)
    assert body["details"] == ["allowedScopes: [1] 'billing.write' is planned, not available yet."]
    assert not OAuthClient.objects.exists()


def test_bad_input_lists_every_field_and_writes_nothing(api_client, assert_contract, owner):
    response = api_client.post(
        LIST,
        {"name": "", "type": "spa", "redirectUris": [], "allowedScopes": ["nope"], "requirePkce": "yes"},
        format="json",
        **_bearer(owner),
    )
    body = assert_contract(response, "createOAuthClient", status=400)
    fields = {line.split(":")[0].split("[")[0].split(".")[0] for line in body["details"]}
    assert fields == {"name", "type", "redirectUris", "allowedScopes", "requirePkce"}
    assert not OAuthClient.objects.exists()


@pytest.mark.parametrize(
    ("uri", "problem"),
    [
        ("http://shop.example.com/cb", "must use https"),
        ("https://shop.example.com/cb#frag", "must not contain a fragment"),
        ("/cb", "must be an absolute http(s) URL"),
        ("com.example.app:/cb", "must be an absolute http(s) URL"),
        ("https://user:pw@shop.example.com/cb", "must not contain credentials"),
    ],
)
def test_redirect_uris_are_absolute_https_without_fragment(api_client, assert_contract, owner, uri, problem):
    body = assert_contract(_create(api_client, owner, redirectUris=[uri]), "createOAuthClient", status=400)
    assert problem in body["details"][0]


def test_loopback_redirect_uris_may_use_http(api_client, assert_contract, owner):
    uris = ["http://127.0.0.1:53682/cb", "http://localhost:3000/cb", "http://[::1]:8080/cb"]
    data = assert_contract(_create(api_client, owner, redirectUris=uris), "createOAuthClient", status=201)["data"]
    assert data["oauthClient"]["redirectUris"] == uris


def test_the_plan_quota_counts_active_clients(api_client, assert_contract, owner):
    for _ in range(3):
        _create(api_client, owner)
    over = _create(api_client, owner)
    assert assert_contract(over, "createOAuthClient", status=400)["code"] == "QUOTA_EXCEEDED"
    first = OAuthClient.objects.first()
    api_client.delete(_one(first.public_id), **_bearer(owner))
    assert _create(api_client, owner).status_code == 201


def test_a_plan_without_oauth_clients_refuses_creation(api_client, owner):
    allow_clients(owner.tenant, "disabled")
    assert _create(api_client, owner).json()["code"] == "QUOTA_EXCEEDED"


def test_list_has_clients_catalog_and_discovery_in_constant_queries(
    api_client, assert_contract, owner, django_assert_max_num_queries
):
    allow_clients(owner.tenant)
    make_client(owner.tenant)
    with django_assert_max_num_queries(8):
        first = api_client.get(LIST, **_bearer(owner))
    for _ in range(4):
        make_client(owner.tenant)
    with django_assert_max_num_queries(8):
        response = api_client.get(LIST, **_bearer(owner))
    data = assert_contract(response, "listOAuthClients")["data"]
    assert len(assert_contract(first, "listOAuthClients")["data"]["oauthClients"]) == 1
    assert len(data["oauthClients"]) == 5
    assert data["discoveryUrl"] == "http://127.0.0.1:8192/.well-known/openid-configuration"
    assert data["clientTypes"] == ["confidential", "public"]
    statuses = {item["scope"]: item["status"] for item in data["scopeCatalog"]}
    assert statuses["openid"] == "available"
    assert statuses["billing.write"] == "planned"
    assert statuses["tenant.domains.write"] == "available"
    assert set(data["availableScopes"]) == {s for s, v in statuses.items() if v == "available"}


def test_update_changes_name_uris_scopes_and_never_weakens_public_pkce(api_client, assert_contract, owner):
    public, _ = make_client(owner.tenant, client_type="public")
    response = api_client.patch(
        _one(public.public_id),
        {"name": "Mobile", "redirectUris": ["https://m.example.com/cb"], "allowedScopes": ["openid"]},
        format="json",
        **_bearer(owner),
    )
    client_data = assert_contract(response, "updateOAuthClient")["data"]["oauthClient"]
    assert client_data["name"] == "Mobile"
    assert client_data["redirectUris"] == ["https://m.example.com/cb"]
    assert client_data["allowedScopes"] == ["openid"]
    weaker = api_client.patch(_one(public.public_id), {"requirePkce": False}, format="json", **_bearer(owner))
    assert assert_contract(weaker, "updateOAuthClient", status=400)["details"] == [
        "requirePkce: public clients always require PKCE."
    ]
    retyped = api_client.patch(_one(public.public_id), {"type": "confidential"}, format="json", **_bearer(owner))
    assert retyped.status_code == 400
    public.refresh_from_db()
    assert public.require_pkce
    assert public.is_public


def test_rotate_returns_a_new_secret_and_the_old_one_stops_working(client, api_client, assert_contract, owner):
    oauth_client, old_secret = make_client(owner.tenant)
    response = api_client.post(_one(oauth_client.public_id, "/rotate-secret"), **_bearer(owner))
    new_secret = assert_contract(response, "rotateOAuthClientSecret")["data"]["clientSecret"]
    assert new_secret != old_secret
    code, verifier = get_code(client, oauth_client, owner)
    assert exchange(client, oauth_client, code, verifier, secret=old_secret).status_code == 401
    code, verifier = get_code(client, oauth_client, owner)
    assert exchange(client, oauth_client, code, verifier, secret=new_secret).status_code == 200
    public, _ = make_client(owner.tenant, client_type="public")
    refused = api_client.post(_one(public.public_id, "/rotate-secret"), **_bearer(owner))
    assert_contract(refused, "rotateOAuthClientSecret", status=400)


def test_revoke_kills_every_token_of_the_client_at_once(client, api_client, assert_contract, owner):
    oauth_client, secret = make_client(owner.tenant)
    code, verifier = get_code(client, oauth_client, owner)
    tokens = exchange(client, oauth_client, code, verifier, secret=secret).json()
    pending_code, pending_verifier = get_code(client, oauth_client, owner)
    response = api_client.delete(_one(oauth_client.public_id), **_bearer(owner))
    data = assert_contract(response, "revokeOAuthClient")["data"]["oauthClient"]
    assert data["status"] == "revoked"
    assert data["revokedAt"]
    assert client.get(USERINFO, HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}").status_code == 401
    refresh = form_post(
        client,
        TOKEN,
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": oauth_client.client_id,
            "client_secret": secret,
        },
    )
    assert refresh.status_code in (400, 401)
    assert not AccessToken.objects.filter(application=oauth_client).exists()
    assert not RefreshToken.objects.filter(application=oauth_client, revoked__isnull=True).exists()
    assert exchange(client, oauth_client, pending_code, pending_verifier, secret=secret).status_code in (400, 401)


def test_delete_needs_a_revoked_client(api_client, assert_contract, owner):
    oauth_client, _ = make_client(owner.tenant)
    active = api_client.delete(_one(oauth_client.public_id, "/revoked"), **_bearer(owner))
    assert assert_contract(active, "deleteRevokedOAuthClient", status=409)["code"] == "CONFLICT"
    api_client.delete(_one(oauth_client.public_id), **_bearer(owner))
    deleted = api_client.delete(_one(oauth_client.public_id, "/revoked"), **_bearer(owner))
    assert assert_contract(deleted, "deleteRevokedOAuthClient")["data"] == {
        "oauthClientId": oauth_client.public_id,
        "deleted": True,
    }
    assert not OAuthClient.objects.filter(pk=oauth_client.pk).exists()


def test_last_used_at_follows_token_issuance(client, api_client, owner):
    oauth_client, secret = make_client(owner.tenant)
    assert api_client.get(LIST, **_bearer(owner)).json()["data"]["oauthClients"][0]["lastUsedAt"] is None
    code, verifier = get_code(client, oauth_client, owner)
    exchange(client, oauth_client, code, verifier, secret=secret)
    assert api_client.get(LIST, **_bearer(owner)).json()["data"]["oauthClients"][0]["lastUsedAt"]


def test_another_tenants_client_is_not_found(api_client, assert_contract, owner):
    other = OwnerFactory(tenant=TenantFactory(slug="other"))
    theirs, _ = make_client(other.tenant)
    headers = _bearer(owner)
    assert_contract(
        api_client.patch(_one(theirs.public_id), {"name": "x"}, format="json", **headers),
        "updateOAuthClient",
        status=404,
    )
    assert_contract(api_client.delete(_one(theirs.public_id), **headers), "revokeOAuthClient", status=404)
    assert_contract(
        api_client.post(_one(theirs.public_id, "/rotate-secret"), **headers), "rotateOAuthClientSecret", status=404
    )
    assert_contract(
        api_client.delete(_one(theirs.public_id, "/revoked"), **headers), "deleteRevokedOAuthClient", status=404
    )
    assert theirs.public_id not in api_client.get(LIST, **headers).content.decode()
    theirs.refresh_from_db()
    assert theirs.status == "active"
    assert theirs.name == "Shop plugin"


def test_only_owners_and_admins_manage_clients(api_client, assert_contract, owner):
    agent = StaffFactory(tenant=owner.tenant, role="agent")
    admin = StaffFactory(tenant=owner.tenant, role="admin")
    denied = api_client.get(LIST, **_bearer(agent, SessionScope.WORKSPACE))
    assert assert_contract(denied, "listOAuthClients", status=403)["code"] == "PERMISSION_DENIED"
    assert api_client.get(LIST, **_bearer(admin, SessionScope.WORKSPACE)).status_code == 200
    assert_contract(api_client.get(LIST), "listOAuthClients", status=401)


def test_bad_update_lists_every_field_and_changes_nothing(api_client, assert_contract, owner):
    oauth_client, _ = make_client(owner.tenant)
    response = api_client.patch(
        _one(oauth_client.public_id),
        {
            "name": "",
            "redirectUris": ["http://shop.example.com/cb"],
            "allowedScopes": ["openid", "billing.write"],
            "requirePkce": 1,
        },
        format="json",
        **_bearer(owner),
    )
    body = assert_contract(response, "updateOAuthClient", status=400)
    fields = {line.split(":")[0].split("[")[0].split(".")[0] for line in body["details"]}
    assert fields == {"name", "redirectUris", "allowedScopes", "requirePkce"}
    oauth_client.refresh_from_db()
    assert oauth_client.name == "Shop plugin"
    assert oauth_client.redirect_uris == "https://app.example.com/cb"


def test_patch_status_revoked_revokes_and_a_revoked_client_stays_revoked(api_client, assert_contract, owner):
    oauth_client, _ = make_client(owner.tenant)
    revoked = api_client.patch(_one(oauth_client.public_id), {"status": "revoked"}, format="json", **_bearer(owner))
    data = assert_contract(revoked, "updateOAuthClient")["data"]["oauthClient"]
    assert data["status"] == "revoked"
    assert data["revokedAt"]
    again = api_client.patch(_one(oauth_client.public_id), {"status": "active"}, format="json", **_bearer(owner))
    assert assert_contract(again, "updateOAuthClient", status=400)["code"] == "VALIDATION_FAILED"
