"""Owner sessions: login, profile, refresh rotation with family revocation, logout, throttling."""

import pytest
from django.test import override_settings

from apps.plans.tests.factories import subscribe
from apps.tenants.tests.factories import DEFAULT_PASSWORD, OwnerFactory, StaffFactory, TenantFactory

pytestmark = pytest.mark.django_db


LOGIN = "/api/auth/owner-login"
ME = "/api/auth/owner-me"
REFRESH = "/api/auth/owner-refresh"
LOGOUT = "/api/auth/owner-logout"


def _login(client, owner, password=DEFAULT_PASSWORD, **extra):
    return client.post(LOGIN, {"email": owner.email, "password": password}, format="json", **extra)


def _bearer(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def owner():
    tenant = TenantFactory(slug="acme", name="Acme", phone="", industry="")
    subscribe(tenant, plan_slug="growth", features={"chat": True}, quotas={"server_api_keys": 3})
    return OwnerFactory(tenant=tenant, name="Ada Owner")


def test_owner_login_returns_the_owner_session_and_sets_the_refresh_cookie(api_client, assert_contract, owner):
    response = _login(api_client, owner)
    body = assert_contract(response, "loginOwner", status=200)
    data = body["data"]
    assert data["client"]["id"] == owner.tenant.public_id
    assert data["client"]["slug"] == "acme"
    assert data["client"]["apiKey"] == owner.tenant.public_widget_key
    assert data["admin"] == {"agentId": owner.public_id, "username": "owner", "name": "Ada Owner"}
    assert data["subscription"]["planSlug"] == "growth"
    assert data["subscription"]["status"] == "active"
    assert data["sessionToken"] == data["accessToken"]
    assert data["expiresIn"] == 15 * 60
    assert data["dashboardUrl"].startswith("http://acme.localhost")
    cookie = response.cookies["ownerRefreshToken"]
    assert cookie.value == data["refreshToken"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/api/auth/"
    assert cookie["secure"] is True  # tests run with DEBUG off


@override_settings(DEBUG=True)
def test_refresh_cookie_is_not_secure_under_debug(api_client, assert_contract, owner):
    response = _login(api_client, owner)
    assert_contract(response, "loginOwner", status=200)
    assert response.cookies["ownerRefreshToken"]["secure"] == ""


def test_unknown_email_and_wrong_password_get_the_same_answer(api_client, assert_contract, owner):
    wrong = _login(api_client, owner, password="not-the-password")
    unknown = api_client.post(LOGIN, {"email": "nobody@example.com", "password": DEFAULT_PASSWORD}, format="json")
    body_wrong = assert_contract(wrong, "loginOwner", status=401)
    body_unknown = assert_contract(unknown, "loginOwner", status=401)
    assert body_wrong == body_unknown
    assert body_wrong["code"] == "AUTH_INVALID_CREDENTIALS"


def test_login_with_missing_fields_lists_each_field(api_client, assert_contract):
    body = assert_contract(api_client.post(LOGIN, {}, format="json"), "loginOwner", status=400)
    assert body["code"] == "VALIDATION_FAILED"
    assert {d.split(":")[0] for d in body["details"]} == {"email", "password"}


def test_staff_who_are_not_owners_cannot_use_owner_login(api_client, assert_contract):
    agent = StaffFactory(email="agent@example.com")
    response = api_client.post(LOGIN, {"email": agent.email, "password": DEFAULT_PASSWORD}, format="json")
    assert assert_contract(response, "loginOwner", status=401)["code"] == "AUTH_INVALID_CREDENTIALS"


def test_disabled_owner_and_inactive_tenant_cannot_log_in(api_client, assert_contract, owner):
    owner.tenant.is_active = False
    owner.tenant.save()
    body = assert_contract(_login(api_client, owner), "loginOwner", status=403)
    assert body["code"] == "AUTH_ACCOUNT_DISABLED"
    owner.tenant.is_active = True
    owner.tenant.save()
    owner.is_active = False
    owner.save()
    assert assert_contract(_login(api_client, owner), "loginOwner", status=403)["code"] == "AUTH_ACCOUNT_DISABLED"


def test_login_is_throttled_per_account_with_retry_after(api_client, assert_contract, owner):
    for _ in range(5):
        assert _login(api_client, owner, password="wrong-password").status_code == 401
    response = _login(api_client, owner)  # even the right password waits now
    body = assert_contract(response, "loginOwner", status=429)
    assert body["code"] == "RATE_LIMITED"
    assert int(response["Retry-After"]) > 0


def test_login_is_throttled_per_ip_across_accounts(api_client, assert_contract, owner):
    for n in range(20):
        api_client.post(LOGIN, {"email": f"x{n}@example.com", "password": "wrong-password"}, format="json")
    body = assert_contract(_login(api_client, owner), "loginOwner", status=429)
    assert body["code"] == "RATE_LIMITED"
    other_ip = _login(api_client, owner, REMOTE_ADDR="10.9.8.7")
    assert_contract(other_ip, "loginOwner", status=200)


def test_owner_me_reads_the_session_profile(api_client, assert_contract, owner):
    access = _login(api_client, owner).json()["data"]["accessToken"]
    body = assert_contract(api_client.get(ME, **_bearer(access)), "getOwnerSession", status=200)
    assert body["data"]["client"]["id"] == owner.tenant.public_id
    assert body["data"]["subscription"]["planName"]


def test_owner_me_without_a_token_is_401(api_client, assert_contract):
    assert assert_contract(api_client.get(ME), "getOwnerSession", status=401)["code"] == "AUTH_REQUIRED"


def test_refresh_rotates_and_the_old_token_is_refused(api_client, assert_contract, owner):
    first = _login(api_client, owner).json()["data"]["refreshToken"]
    response = api_client.post(REFRESH, {"refreshToken": first}, format="json")
    data = assert_contract(response, "refreshOwnerSession", status=200)["data"]
    assert data["refreshToken"] != first
    assert data["sessionToken"] == data["accessToken"]
    assert response.cookies["ownerRefreshToken"].value == data["refreshToken"]
    again = api_client.post(REFRESH, {"refreshToken": first}, format="json")
    assert assert_contract(again, "refreshOwnerSession", status=401)["code"] == "AUTH_TOKEN_INVALID"


def test_reusing_a_rotated_refresh_token_revokes_the_whole_family(api_client, assert_contract, owner):
    first = _login(api_client, owner).json()["data"]["refreshToken"]
    second = api_client.post(REFRESH, {"refreshToken": first}, format="json").json()["data"]
    # An attacker replays the stolen, already-rotated first token:
    assert_contract(api_client.post(REFRESH, {"refreshToken": first}, format="json"), "refreshOwnerSession", 401)
    # ... and the legitimate newest token of the same family is dead too, as is its access token.
    newest = api_client.post(REFRESH, {"refreshToken": second["refreshToken"]}, format="json")
    assert assert_contract(newest, "refreshOwnerSession", status=401)["code"] == "AUTH_TOKEN_INVALID"
    me = api_client.get(ME, **_bearer(second["accessToken"]))
    assert assert_contract(me, "getOwnerSession", status=401)["code"] == "AUTH_TOKEN_INVALID"


def test_another_login_family_survives_a_revoked_one(api_client, assert_contract, owner):
    family_a = _login(api_client, owner).json()["data"]["refreshToken"]
    family_b = _login(api_client, owner).json()["data"]["refreshToken"]
    api_client.post(REFRESH, {"refreshToken": family_a}, format="json")
    api_client.post(REFRESH, {"refreshToken": family_a}, format="json")  # reuse: family A revoked
    response = api_client.post(REFRESH, {"refreshToken": family_b}, format="json")
    assert_contract(response, "refreshOwnerSession", status=200)


def test_refresh_reads_the_cookie_when_the_body_has_no_token(api_client, assert_contract, owner):
    _login(api_client, owner)  # the client keeps the ownerRefreshToken cookie
    response = api_client.post(REFRESH)
    data = assert_contract(response, "refreshOwnerSession", status=200)["data"]
    assert api_client.cookies["ownerRefreshToken"].value == data["refreshToken"]


def test_refused_refresh_clears_the_cookie(api_client, assert_contract):
    api_client.cookies["ownerRefreshToken"] = "garbage"
    response = api_client.post(REFRESH)
    assert_contract(response, "refreshOwnerSession", status=401)
    assert response.cookies["ownerRefreshToken"].value == ""


def test_refresh_is_refused_once_the_owner_is_disabled(api_client, assert_contract, owner):
    refresh = _login(api_client, owner).json()["data"]["refreshToken"]
    owner.is_active = False
    owner.save()
    response = api_client.post(REFRESH, {"refreshToken": refresh}, format="json")
    assert_contract(response, "refreshOwnerSession", status=401)


def test_refresh_is_refused_once_the_tenant_is_inactive(api_client, assert_contract, owner):
    refresh = _login(api_client, owner).json()["data"]["refreshToken"]
    owner.tenant.is_active = False
    owner.tenant.save()
    assert_contract(api_client.post(REFRESH, {"refreshToken": refresh}, format="json"), "refreshOwnerSession", 401)


def test_logout_blacklists_the_refresh_token_and_clears_the_cookie(api_client, assert_contract, owner):
    data = _login(api_client, owner).json()["data"]
    response = api_client.post(LOGOUT, {"refreshToken": data["refreshToken"]}, format="json")
    assert_contract(response, "logoutOwner", status=200)
    cookie = response.cookies["ownerRefreshToken"]
    assert cookie.value == ""
    assert cookie["path"] == "/api/auth/"
    refused = api_client.post(REFRESH, {"refreshToken": data["refreshToken"]}, format="json")
    assert_contract(refused, "refreshOwnerSession", status=401)
    assert_contract(api_client.get(ME, **_bearer(data["accessToken"])), "getOwnerSession", status=401)


def test_logout_with_the_cookie_only_and_twice_is_fine(api_client, assert_contract, owner):
    _login(api_client, owner)
    assert_contract(api_client.post(LOGOUT), "logoutOwner", status=200)
    assert_contract(api_client.post(LOGOUT), "logoutOwner", status=200)


@pytest.mark.parametrize("body", [["token"], "token", {"refreshToken": ["a", "b"]}])
def test_refresh_and_logout_refuse_a_malformed_body_even_with_a_cookie(api_client, assert_contract, owner, body):
    _login(api_client, owner)  # the client holds a valid ownerRefreshToken cookie
    response = api_client.post(REFRESH, body, format="json")
    assert assert_contract(response, "refreshOwnerSession", status=400)["code"] == "VALIDATION_FAILED"
    response = api_client.post(LOGOUT, body, format="json")
    assert assert_contract(response, "logoutOwner", status=400)["code"] == "VALIDATION_FAILED"
    # Nothing happened: the cookie's session still refreshes.
    assert_contract(api_client.post(REFRESH), "refreshOwnerSession", status=200)


def test_a_login_for_an_unknown_account_keeps_no_copy_of_the_password(api_client, assert_contract, db):
    from apps.identity import services as auth_services

    attempt = "correct horse battery staple 9!"
    response = api_client.post(LOGIN, {"email": "nobody@example.com", "password": attempt}, format="json")
    assert_contract(response, "loginOwner", status=401)
    kept = [name for name, value in vars(auth_services).items() if getattr(value, "_password", None) == attempt]
    assert kept == []
