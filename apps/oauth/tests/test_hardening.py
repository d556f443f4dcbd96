"""Each hardening rule of /oauth/authorize and /oauth/token, one test (or a few) per rule."""

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from apps.oauth.models import AuthorizationCode, OAuthClient
from apps.oauth.tests.factories import (
    AUTHORIZE,
    CALLBACK,
    REVOKE,
    TOKEN,
    USERINFO,
    authorize_params,
    exchange,
    form_post,
    get_code,
    make_client,
    pkce_pair,
    query_of,
    sign_in,
)

pytestmark = pytest.mark.django_db
AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()


def _authorize(django_client, oauth_client, **params):
    return django_client.get(f"{AUTHORIZE}?{urlencode(authorize_params(oauth_client, **params))}")


def _allow(django_client, oauth_client, **params):
    return django_client.post(f"{AUTHORIZE}?{urlencode(authorize_params(oauth_client, **params))}", {"allow": "1"})


# --- redirect URIs -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://app.example.com/cb/",
        "https://app.example.com/cb?x=1",
        "https://evil.example.net/cb",
        "https://APP.example.com/cb",
        "https://app.example.com:8443/cb",
        "http://app.example.com/cb",
    ],
)
def test_a_redirect_uri_that_is_not_exactly_registered_gets_an_error_page_never_a_redirect(
    client, owner, confidential, redirect_uri
):
    sign_in(client, owner)
    _verifier, challenge = pkce_pair()
    response = _authorize(client, confidential[0], redirect_uri=redirect_uri, challenge=challenge)
    assert response.status_code == 400
    assert "Location" not in response
    assert b"not valid" in response.content


def test_an_unknown_or_missing_client_gets_an_error_page(client, owner):
    response = client.get(f"{AUTHORIZE}?{urlencode({'client_id': 'rn_oauth_nope', 'redirect_uri': CALLBACK})}")
    assert response.status_code == 400
    assert "Location" not in response
    response = client.get(f"{AUTHORIZE}?{urlencode({'redirect_uri': CALLBACK, 'response_type': 'code'})}")
    assert response.status_code == 400
    assert "Location" not in response


def test_a_revoked_client_is_unknown_at_authorize(client, owner, confidential):
    OAuthClient.objects.filter(pk=confidential[0].pk).update(status="revoked")
    response = _authorize(client, confidential[0], challenge=pkce_pair()[1])
    assert response.status_code == 400
    assert "Location" not in response


# --- PKCE --------------------------------------------------------------------------------


def test_public_clients_must_send_an_s256_challenge(client, owner):
    public, secret = make_client(owner.tenant, client_type="public")
    assert secret is None
    assert public.require_pkce
    sign_in(client, owner)
    missing = query_of(_authorize(client, public))
    assert missing["error"] == "invalid_request"
    assert missing["state"] == "st-123"
    plain = query_of(_authorize(client, public, code_challenge="x" * 43, code_challenge_method="plain"))
    assert plain["error"] == "invalid_request"
    no_method = query_of(_authorize(client, public, code_challenge="x" * 43))
    assert no_method["error"] == "invalid_request"


def test_a_confidential_client_with_require_pkce_needs_a_challenge(client, owner, confidential):
    sign_in(client, owner)
    assert query_of(_authorize(client, confidential[0]))["error"] == "invalid_request"


def test_code_verifier_must_match_and_must_be_sent(client, assert_contract, owner, confidential):
    oauth_client, secret = confidential
    code, _verifier = get_code(client, oauth_client, owner)
    wrong = exchange(client, oauth_client, code, "w" * 50, secret=secret)
    assert assert_contract(wrong, "exchangeRingnityOAuthToken", status=400)["error"] == "invalid_grant"
    code, _verifier = get_code(client, oauth_client, owner)
    missing = exchange(client, oauth_client, code, None, secret=secret)
    assert assert_contract(missing, "exchangeRingnityOAuthToken", status=400)["error"] == "invalid_request"


def test_a_verifier_for_a_code_issued_without_a_challenge_is_refused(client, owner):
    oauth_client, secret = make_client(owner.tenant, require_pkce=False)
    sign_in(client, owner)
    response = _allow(client, oauth_client)
    code = query_of(response)["code"]
    refused = exchange(client, oauth_client, code, "v" * 50, secret=secret)
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"


def test_a_confidential_client_without_require_pkce_may_skip_pkce(client, owner):
    oauth_client, secret = make_client(owner.tenant, require_pkce=False)
    sign_in(client, owner)
    code = query_of(_allow(client, oauth_client))["code"]
    assert exchange(client, oauth_client, code, None, secret=secret).status_code == 200


# --- codes -------------------------------------------------------------------------------


def test_a_code_is_single_use_and_a_replay_revokes_what_it_produced(client, assert_contract, owner, confidential):
    oauth_client, secret = confidential
    code, verifier = get_code(client, oauth_client, owner)
    first = exchange(client, oauth_client, code, verifier, secret=secret).json()
    assert client.get(USERINFO, HTTP_AUTHORIZATION=f"Bearer {first['access_token']}").status_code == 200
    replay = exchange(client, oauth_client, code, verifier, secret=secret)
    assert assert_contract(replay, "exchangeRingnityOAuthToken", status=400)["error"] == "invalid_grant"
    assert client.get(USERINFO, HTTP_AUTHORIZATION=f"Bearer {first['access_token']}").status_code == 401
    refresh = form_post(
        client,
        TOKEN,
        {
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
            "client_id": oauth_client.client_id,
            "client_secret": secret,
        },
    )
    assert refresh.json()["error"] == "invalid_grant"


def test_a_code_lives_60_seconds(client, owner, confidential):
    oauth_client, secret = confidential
    code, verifier = get_code(client, oauth_client, owner)
    grant = AuthorizationCode.objects.get(code=code)
    assert 59 <= (grant.expires - grant.created).total_seconds() <= 61
    AuthorizationCode.objects.filter(pk=grant.pk).update(expires=timezone.now() - timedelta(seconds=1))
    assert exchange(client, oauth_client, code, verifier, secret=secret).json()["error"] == "invalid_grant"


def test_a_code_is_bound_to_its_redirect_uri_and_client(client, owner, confidential):
    oauth_client, secret = confidential
    code, verifier = get_code(client, oauth_client, owner)
    other, other_secret = make_client(owner.tenant)
    assert exchange(client, other, code, verifier, secret=other_secret).json()["error"] == "invalid_grant"
    code, verifier = get_code(client, oauth_client, owner)
    moved = exchange(client, oauth_client, code, verifier, secret=secret, redirect_uri="https://app.example.com/cb/")
    assert moved.status_code >= 400


# --- response and grant types ------------------------------------------------------------


@pytest.mark.parametrize("response_type", ["token", "id_token", "code id_token", "code token", "none"])
def test_implicit_and_hybrid_response_types_are_unsupported(client, owner, confidential, response_type):
    sign_in(client, owner)
    response = _authorize(client, confidential[0], response_type=response_type, challenge=pkce_pair()[1])
    assert response.status_code == 302
    assert query_of(response)["error"] == "unsupported_response_type"


@pytest.mark.parametrize(
    "grant_type", ["password", "client_credentials", "implicit", "urn:ietf:params:oauth:grant-type:device_code"]
)
def test_only_code_and_refresh_grants_exist(client, assert_contract, confidential, grant_type):
    oauth_client, secret = confidential
    response = form_post(
        client,
        TOKEN,
        {
            "grant_type": grant_type,
            "client_id": oauth_client.client_id,
            "client_secret": secret,
            "username": "owner",
            "password": "x",
        },
    )
    assert assert_contract(response, "exchangeRingnityOAuthToken", status=400)["error"] == "unsupported_grant_type"


# --- tokens ------------------------------------------------------------------------------


def test_access_tokens_live_900_seconds(client, owner, confidential):
    oauth_client, secret = confidential
    code, verifier = get_code(client, oauth_client, owner)
    body = exchange(client, oauth_client, code, verifier, secret=secret).json()
    assert body["expires_in"] == 900
    token = AccessToken.objects.get(token=body["access_token"])
    assert 895 <= (token.expires - timezone.now()).total_seconds() <= 900


def _refresh(django_client, oauth_client, secret, refresh_token):
    return form_post(
        django_client,
        TOKEN,
        {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": oauth_client.client_id,
            "client_secret": secret,
        },
    )


def test_refresh_tokens_rotate_and_a_replayed_old_one_ends_the_family(client, assert_contract, owner, confidential):
    oauth_client, secret = confidential
    code, verifier = get_code(client, oauth_client, owner)
    first = exchange(client, oauth_client, code, verifier, secret=secret).json()
    second = assert_contract(
        _refresh(client, oauth_client, secret, first["refresh_token"]), "exchangeRingnityOAuthToken"
    )
    assert second["refresh_token"] != first["refresh_token"]
    replay = _refresh(client, oauth_client, secret, first["refresh_token"])
    assert assert_contract(replay, "exchangeRingnityOAuthToken", status=400)["error"] == "invalid_grant"
    assert _refresh(client, oauth_client, secret, second["refresh_token"]).json()["error"] == "invalid_grant"
    assert client.get(USERINFO, HTTP_AUTHORIZATION=f"Bearer {second['access_token']}").status_code == 401


def test_a_refresh_token_unused_for_30_days_expires(client, owner, confidential):
    oauth_client, secret = confidential
    code, verifier = get_code(client, oauth_client, owner)
    body = exchange(client, oauth_client, code, verifier, secret=secret).json()
    RefreshToken.objects.filter(token=body["refresh_token"]).update(
        created=timezone.now() - timedelta(days=30, hours=1)
    )
    assert _refresh(client, oauth_client, secret, body["refresh_token"]).json()["error"] == "invalid_grant"


def test_client_secrets_are_stored_as_digests_and_a_stolen_digest_is_no_secret(client, owner, confidential):
    import hashlib

    oauth_client, secret = confidential
    stored = OAuthClient.objects.get(pk=oauth_client.pk).client_secret
    assert secret not in stored
    assert stored == "sha256$" + hashlib.sha256(secret.encode()).hexdigest()
    code, verifier = get_code(client, oauth_client, owner)
    assert exchange(client, oauth_client, code, verifier, secret=stored).status_code == 401
    assert exchange(client, oauth_client, code, verifier, secret=stored.removeprefix("sha256$")).status_code == 401


def test_the_token_endpoint_accepts_basic_post_and_none(client, owner, confidential):
    import base64

    oauth_client, secret = confidential
    code, verifier = get_code(client, oauth_client, owner)
    basic = base64.b64encode(f"{oauth_client.client_id}:{secret}".encode()).decode()
    response = form_post(
        client,
        TOKEN,
        {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK, "code_verifier": verifier},
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    assert response.status_code == 200
    public, _ = make_client(owner.tenant, client_type="public")
    code, verifier = get_code(client, public, owner)
    assert exchange(client, public, code, verifier).status_code == 200


def test_a_confidential_client_must_authenticate(client, assert_contract, owner, confidential):
    oauth_client, secret = confidential
    code, verifier = get_code(client, oauth_client, owner)
    no_secret = exchange(client, oauth_client, code, verifier)
    assert assert_contract(no_secret, "exchangeRingnityOAuthToken", status=401)["error"] == "invalid_client"
    wrong = exchange(client, oauth_client, code, verifier, secret=secret + "x")
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"


def test_the_token_endpoint_is_throttled_per_client_and_ip(client, assert_contract, settings, confidential):
    settings.OAUTH_TOKEN_RATE_LIMITS = {"client": (3, 60)}
    oauth_client, secret = confidential
    body = {
        "grant_type": "refresh_token",
        "refresh_token": "nope",
        "client_id": oauth_client.client_id,
        "client_secret": secret,
    }
    for _ in range(3):
        assert form_post(client, TOKEN, body).status_code == 400
    limited = form_post(client, TOKEN, body)
    assert assert_contract(limited, "exchangeRingnityOAuthToken", status=429)["error"] == "temporarily_unavailable"
    assert int(limited["Retry-After"]) >= 1
    settings.OAUTH_TOKEN_RATE_LIMITS = {"ip": (1, 60), "client": (100, 60)}
    assert form_post(client, TOKEN, body, REMOTE_ADDR="10.0.0.9").status_code == 400
    assert form_post(client, TOKEN, body, REMOTE_ADDR="10.0.0.9").status_code == 429


def test_revoke_answers_200_for_unknown_tokens_and_never_touches_another_clients(client, assert_contract, owner):
    mine, my_secret = make_client(owner.tenant)
    theirs, their_secret = make_client(owner.tenant)
    code, verifier = get_code(client, theirs, owner)
    their_tokens = exchange(client, theirs, code, verifier, secret=their_secret).json()
    unknown = form_post(
        client, REVOKE, {"token": "no-such-token", "client_id": mine.client_id, "client_secret": my_secret}
    )
    assert assert_contract(unknown, "revokeRingnityOAuthToken")["success"] is True
    for token in (their_tokens["access_token"], their_tokens["refresh_token"]):
        response = form_post(client, REVOKE, {"token": token, "client_id": mine.client_id, "client_secret": my_secret})
        assert response.status_code == 200
    assert client.get(USERINFO, HTTP_AUTHORIZATION=f"Bearer {their_tokens['access_token']}").status_code == 200
    wrong_secret = form_post(client, REVOKE, {"token": "x", "client_id": mine.client_id, "client_secret": "nope"})
    assert assert_contract(wrong_secret, "revokeRingnityOAuthToken", status=401)["error"] == "invalid_client"
    access = form_post(
        client,
        REVOKE,
        {
            "token": their_tokens["access_token"],
            "token_type_hint": "access_token",
            "client_id": theirs.client_id,
            "client_secret": their_secret,
        },
    )
    assert access.status_code == 200
    assert client.get(USERINFO, HTTP_AUTHORIZATION=f"Bearer {their_tokens['access_token']}").status_code == 401


def test_userinfo_with_openid_alone_is_sub_only(client, assert_contract, owner, confidential):
    oauth_client, secret = confidential
    code, verifier = get_code(client, oauth_client, owner, scope="openid")
    token = exchange(client, oauth_client, code, verifier, secret=secret).json()["access_token"]
    body = assert_contract(client.get(USERINFO, HTTP_AUTHORIZATION=f"Bearer {token}"), "getRingnityOAuthUserInfo")
    assert body == {"sub": owner.public_id}
    missing = client.get(USERINFO)
    assert missing.status_code == 401
    assert missing.json()["error"] == "invalid_token"  # RFC 6750; the contract's OAuthError enum lacks it


def test_a_refreshed_id_token_keeps_the_original_auth_time(client, owner, confidential):
    import json
    import time

    from jwcrypto import jwk, jwt

    oauth_client, secret = confidential
    signed_in_at = time.time() - 120
    sign_in(client, owner, auth_time=signed_in_at)
    verifier, challenge = pkce_pair()
    query = authorize_params(oauth_client, challenge=challenge)
    code = query_of(client.post(f"{AUTHORIZE}?{urlencode(query)}", {"allow": "1"}))["code"]
    first = exchange(client, oauth_client, code, verifier, secret=secret).json()
    AuthorizationCode.objects.all().delete()  # spent codes may be pruned (cleartokens): auth_time stays
    second = _refresh(client, oauth_client, secret, first["refresh_token"]).json()
    keys = jwk.JWKSet.from_json(json.dumps(client.get("/api/oauth/jwks.json").json()))
    for body in (first, second):
        claims = json.loads(jwt.JWT(jwt=body["id_token"], key=keys).claims)
        assert claims["auth_time"] == int(signed_in_at)


def test_a_refresh_stops_when_the_client_or_the_user_may_no_longer_have_the_scopes(client, owner):
    from apps.tenants.tests.factories import StaffFactory

    oauth_client, secret = make_client(owner.tenant)
    admin = StaffFactory(tenant=owner.tenant, username="adm", role="admin")
    code, verifier = get_code(client, oauth_client, admin, scope="openid tenant.read")
    by_admin = exchange(client, oauth_client, code, verifier, secret=secret).json()
    code, verifier = get_code(client, oauth_client, owner, scope="openid email")
    by_owner = exchange(client, oauth_client, code, verifier, secret=secret).json()
    admin.role = "agent"
    admin.save()
    assert _refresh(client, oauth_client, secret, by_admin["refresh_token"]).json()["error"] == "invalid_grant"
    oauth_client.allowed_scopes = ["openid", "profile"]
    oauth_client.save()
    assert _refresh(client, oauth_client, secret, by_owner["refresh_token"]).json()["error"] == "invalid_grant"
