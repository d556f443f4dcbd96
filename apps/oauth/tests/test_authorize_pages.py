"""The sign-in and consent pages: prompt, max_age, consent memory, tenant and role rules, CSRF, framing."""

import json
import time
from urllib.parse import urlencode

import pytest
from django.test import Client
from jwcrypto import jwk, jwt

from apps.oauth.models import OAuthConsent
from apps.oauth.tests.factories import (
    AUTHORIZE,
    CALLBACK,
    authorize_params,
    exchange,
    get_code,
    make_client,
    pkce_pair,
    query_of,
    sign_in,
)
from apps.tenants.tests.factories import DEFAULT_PASSWORD, OwnerFactory, StaffFactory, TenantFactory

pytestmark = pytest.mark.django_db
ISSUER = "http://127.0.0.1:8192"


def _url(oauth_client, **params):
    return f"{AUTHORIZE}?{urlencode(authorize_params(oauth_client, **params))}"


def test_without_a_session_the_sign_in_page_is_shown_framed_by_nobody(client, confidential):
    response = client.get(_url(confidential[0], challenge=pkce_pair()[1]))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="csrfmiddlewaretoken"' in page
    assert 'name="signin" value="owner"' in page
    assert 'name="signin" value="workspace"' in page
    assert "<script" not in page
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_owner_signs_in_then_consents_and_gets_a_code_with_state_and_iss(client, owner, confidential):
    url = _url(confidential[0], challenge=pkce_pair()[1])
    signed = client.post(url, {"signin": "owner", "email": "ADA@acme.example.com", "password": DEFAULT_PASSWORD})
    assert signed.status_code == 303
    consent = client.get(signed["Location"])
    assert consent.status_code == 200
    page = consent.content.decode()
    assert 'name="allow"' in page
    assert 'name="deny"' in page
    assert "See your e-mail address." in page
    allowed = client.post(url, {"allow": "1"})
    assert allowed["Location"].startswith(CALLBACK + "?")
    values = query_of(allowed)
    assert values["code"]
    assert values["state"] == "st-123"
    assert values["iss"] == ISSUER


def test_workspace_staff_sign_in_with_tenant_username_and_password(client, owner, confidential):
    staff = StaffFactory(tenant=owner.tenant, username="mia", role="admin")
    url = _url(confidential[0], challenge=pkce_pair()[1])
    signed = client.post(
        url, {"signin": "workspace", "tenant": "acme", "username": "mia", "password": DEFAULT_PASSWORD}
    )
    assert signed.status_code == 303
    assert client.session["oauth_user_id"] == staff.pk


def test_unknown_account_and_wrong_password_get_the_same_answer_and_are_throttled(client, owner, confidential):
    url = _url(confidential[0], challenge=pkce_pair()[1])
    wrong = client.post(url, {"signin": "owner", "email": owner.email, "password": "nope-nope"})
    unknown = client.post(url, {"signin": "owner", "email": "ghost@example.com", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert b"Invalid credentials." in wrong.content
    assert b"Invalid credentials." in unknown.content
    for _ in range(4):  # the dashboards' limit: 5 failures of one account
        client.post(url, {"signin": "owner", "email": owner.email, "password": "nope-nope"})
    locked = client.post(url, {"signin": "owner", "email": owner.email, "password": DEFAULT_PASSWORD})
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) > 0
    assert "oauth_user_id" not in client.session


def test_a_disabled_account_is_told_after_the_right_password(client, owner, confidential):
    owner.is_active = False
    owner.save()
    url = _url(confidential[0], challenge=pkce_pair()[1])
    response = client.post(url, {"signin": "owner", "email": owner.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 403


def test_the_forms_are_csrf_protected(owner, confidential):
    browser = Client(enforce_csrf_checks=True)
    url = _url(confidential[0], challenge=pkce_pair()[1])
    response = browser.post(url, {"signin": "owner", "email": owner.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 403
    sign_in(browser, owner)
    response = browser.post(url, {"allow": "1"})
    assert response.status_code == 403
    assert "Location" not in response


def test_deny_redirects_with_access_denied(client, owner, confidential):
    sign_in(client, owner)
    response = client.post(_url(confidential[0], challenge=pkce_pair()[1]), {"deny": "1"})
    values = query_of(response)
    assert values["error"] == "access_denied"
    assert values["state"] == "st-123"
    assert values["iss"] == ISSUER


def test_consent_is_remembered_per_user_client_and_scope_set(client, owner, confidential):
    oauth_client = confidential[0]
    get_code(client, oauth_client, owner, scope="openid profile")
    assert OAuthConsent.objects.filter(user=owner, client=oauth_client, scopes="openid profile").exists()
    again = client.get(_url(oauth_client, scope="profile openid", challenge=pkce_pair()[1]))
    assert "code" in query_of(again)
    more = client.get(_url(oauth_client, scope="openid profile email", challenge=pkce_pair()[1]))
    assert more.status_code == 200
    forced = client.get(_url(oauth_client, scope="openid profile", prompt="consent", challenge=pkce_pair()[1]))
    assert forced.status_code == 200


def test_prompt_none_without_a_session_is_login_required_on_the_redirect(client, confidential):
    response = client.get(_url(confidential[0], prompt="none", challenge=pkce_pair()[1]))
    assert response.status_code == 302
    values = query_of(response)
    assert values["error"] == "login_required"
    assert values["state"] == "st-123"
    assert values["iss"] == ISSUER


def test_prompt_none_with_a_bad_redirect_uri_is_an_error_page(client, confidential):
    response = client.get(
        _url(confidential[0], prompt="none", redirect_uri="https://evil.example.net/", challenge=pkce_pair()[1])
    )
    assert response.status_code == 400
    assert "Location" not in response


def test_prompt_none_with_a_session_needs_remembered_consent(client, owner, confidential):
    oauth_client = confidential[0]
    sign_in(client, owner)
    needs = client.get(_url(oauth_client, prompt="none", challenge=pkce_pair()[1]))
    assert query_of(needs)["error"] == "consent_required"
    get_code(client, oauth_client, owner)
    silent = client.get(_url(oauth_client, prompt="none", challenge=pkce_pair()[1]))
    assert "code" in query_of(silent)


def test_prompt_login_shows_the_sign_in_page_even_with_a_session(client, owner, confidential):
    sign_in(client, owner)
    response = client.get(_url(confidential[0], prompt="login", challenge=pkce_pair()[1]))
    assert response.status_code == 200
    assert b'name="signin"' in response.content


def test_max_age_asks_to_sign_in_again_and_auth_time_is_in_the_id_token(client, owner, confidential):
    oauth_client, secret = confidential
    sign_in(client, owner, auth_time=time.time() - 600)
    stale = client.get(_url(oauth_client, max_age="300", challenge=pkce_pair()[1]))
    assert b'name="signin"' in stale.content
    verifier, challenge = pkce_pair()
    url = _url(oauth_client, max_age="300", challenge=challenge)
    before = int(time.time())
    client.post(url, {"signin": "owner", "email": owner.email, "password": DEFAULT_PASSWORD})
    code = query_of(client.post(url, {"allow": "1"}))["code"]
    body = exchange(client, oauth_client, code, verifier, secret=secret).json()
    keys = jwk.JWKSet.from_json(json.dumps(client.get("/api/oauth/jwks.json").json()))
    claims = json.loads(jwt.JWT(jwt=body["id_token"], key=keys).claims)
    assert before <= claims["auth_time"] <= int(time.time())
    assert claims["iss"] == ISSUER


def test_a_user_of_another_tenant_cannot_authorize_the_client(client, confidential):
    stranger = OwnerFactory(tenant=TenantFactory(slug="other"))
    sign_in(client, stranger)
    response = client.get(_url(confidential[0], challenge=pkce_pair()[1]))
    assert response.status_code == 403
    assert "Location" not in response
    assert b"another workspace" in response.content


def test_staff_without_an_admin_role_get_identity_scopes_only(client, owner, confidential):
    oauth_client, secret = confidential
    agent = StaffFactory(tenant=owner.tenant, username="ann", role="agent")
    scope = "openid profile tenant.read developer.read"
    sign_in(client, agent)
    page = client.get(_url(oauth_client, scope=scope, challenge=pkce_pair()[1]))
    assert b"Only workspace owners and admins" in page.content
    code, verifier = get_code(client, oauth_client, agent, scope=scope)
    body = exchange(client, oauth_client, code, verifier, secret=secret).json()
    assert body["scope"] == "openid profile"
    admin = StaffFactory(tenant=owner.tenant, username="adm", role="admin")
    code, verifier = get_code(client, oauth_client, admin, scope=scope)
    assert exchange(client, oauth_client, code, verifier, secret=secret).json()["scope"] == scope


def test_a_scope_the_client_does_not_hold_is_invalid_scope(client, owner, confidential):
    sign_in(client, owner)
    response = client.get(_url(confidential[0], scope="openid contacts.read", challenge=pkce_pair()[1]))
    assert query_of(response)["error"] == "invalid_scope"


def test_the_authorize_error_shape_for_json_clients(client, assert_contract, confidential):
    response = client.get(_url(confidential[0], response_type="token", challenge=pkce_pair()[1]))
    assert_contract(response, "authorizeWithRingnity", status=302)


def test_a_client_asking_for_json_gets_the_oauth_error_shape(client, assert_contract, owner, confidential):
    bad = client.get(_url(confidential[0], redirect_uri="https://evil.example.net/"), HTTP_ACCEPT="application/json")
    body = assert_contract(bad, "authorizeWithRingnity", status=400)
    assert body["error"] == "invalid_request"
    assert "Location" not in bad
    stranger = OwnerFactory(tenant=TenantFactory(slug="other"))
    sign_in(client, stranger)
    denied = client.get(_url(confidential[0], challenge=pkce_pair()[1]), HTTP_ACCEPT="application/json")
    assert assert_contract(denied, "authorizeWithRingnity", status=403)["error"] == "unauthorized_client"


def test_the_sign_in_form_is_rate_limited_per_client_and_ip(client, settings, owner, confidential):
    settings.OAUTH_SIGNIN_RATE_LIMITS = {"client": (2, 60)}
    url = _url(confidential[0], challenge=pkce_pair()[1])
    form = {"signin": "workspace", "tenant": "acme", "username": "nobody", "password": "wrong-password"}
    assert [client.post(url, form, REMOTE_ADDR=f"10.0.0.{i}").status_code for i in range(3)] == [401, 401, 429]
    limited = client.post(url, {"signin": "owner", "email": owner.email, "password": DEFAULT_PASSWORD})
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) >= 1
    assert "oauth_user_id" not in client.session
    settings.OAUTH_SIGNIN_RATE_LIMITS = {"ip": (1, 60), "client": (100, 60)}
    other = make_client(owner.tenant)[0]
    other_url = _url(other, challenge=pkce_pair()[1])
    assert client.post(other_url, form, REMOTE_ADDR="10.9.9.9").status_code == 401
    assert client.post(other_url, form, REMOTE_ADDR="10.9.9.9").status_code == 429


def test_sign_in_failures_count_with_the_dashboard_login(client, api_client, assert_contract, owner, confidential):
    url = _url(confidential[0], challenge=pkce_pair()[1])
    for _ in range(5):
        assert client.post(url, {"signin": "owner", "email": owner.email, "password": "nope-nope"}).status_code == 401
    dashboard = api_client.post(
        "/api/auth/owner-login", {"email": owner.email, "password": DEFAULT_PASSWORD}, format="json"
    )
    assert assert_contract(dashboard, "loginOwner", status=429)["code"] == "RATE_LIMITED"


def test_a_password_change_or_a_disabled_account_ends_the_sign_in(client, owner, confidential):
    url = _url(confidential[0], challenge=pkce_pair()[1])
    sign_in(client, owner)
    assert b'name="allow"' in client.get(url).content
    owner.set_password("another-long-password")
    owner.save()
    assert b'name="signin"' in client.get(url).content
    sign_in(client, owner)
    owner.is_active = False
    owner.save()
    assert b'name="signin"' in client.get(url).content
    owner.tenant.is_active = False  # a disabled workspace's clients are unknown altogether
    owner.tenant.save()
    assert client.get(url).status_code == 400
