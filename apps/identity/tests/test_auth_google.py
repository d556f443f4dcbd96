"""Sign in with Google: ID tokens verified against a JWKS served by a real HTTP server on loopback."""

import contextlib
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import override_settings

from apps.tenants.tests.factories import OwnerFactory, TenantFactory
from ringnity.testing.servers import loopback_page

pytestmark = pytest.mark.django_db

URL = "/api/auth/owner-google-login"
CLIENT_ID = "ringnity-test.apps.googleusercontent.com"


def _rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def google_keys():
    """Google's side: a signing key published in a JWKS on 127.0.0.1, and a key nobody published."""
    published, unpublished = _rsa_key(), _rsa_key()
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(published.public_key()))
    jwks = json.dumps({"keys": [{**jwk, "kid": "google-1", "use": "sig", "alg": "RS256"}]}).encode()

    with loopback_page(jwks, "application/json") as port:
        yield {"url": f"http://127.0.0.1:{port}/certs", "key": published, "other": unpublished}


@pytest.fixture
def google(google_keys):
    with override_settings(GOOGLE_CLIENT_ID=CLIENT_ID, GOOGLE_JWKS_URL=google_keys["url"]):
        yield google_keys


def _id_token(keys, *, key=None, kid="google-1", algorithm="RS256", **claims):
    now = int(time.time())
    payload = {
        "iss": "https://accounts.google.com",
        "aud": CLIENT_ID,
        "sub": "110169484474386276334",
        "email": "ada@example.com",
        "email_verified": True,
        "name": "Ada Lovelace",
        "given_name": "Ada",
        "family_name": "Lovelace",
        "iat": now,
        "exp": now + 600,
    }
    payload.update(claims)
    payload = {k: v for k, v in payload.items() if v is not None}
    return jwt.encode(payload, key or keys["key"], algorithm=algorithm, headers={"kid": kid})


def _post(client, token):
    return client.post(URL, {"idToken": token}, format="json")


def test_known_owner_gets_a_session(api_client, assert_contract, google):
    owner = OwnerFactory(tenant=TenantFactory(slug="acme"), email="ada@example.com")
    response = _post(api_client, _id_token(google))
    data = assert_contract(response, "loginOwnerWithGoogle", status=200)["data"]
    assert data["requiresRegistration"] is False
    assert data["client"]["id"] == owner.tenant.public_id
    assert data["sessionToken"] == data["accessToken"]
    assert response.cookies["ownerRefreshToken"].value == data["refreshToken"]


def test_unknown_email_gets_the_verified_profile_for_registration(api_client, assert_contract, google):
    data = assert_contract(_post(api_client, _id_token(google)), "loginOwnerWithGoogle", status=200)["data"]
    assert data == {
        "requiresRegistration": True,
        "googleProfile": {
            "sub": "110169484474386276334",
            "email": "ada@example.com",
            "emailVerified": True,
            "name": "Ada Lovelace",
            "givenName": "Ada",
            "familyName": "Lovelace",
        },
    }


@pytest.mark.parametrize(
    ("case", "claims"),
    [
        ("wrong audience", {"aud": "someone-else.apps.googleusercontent.com"}),
        ("wrong issuer", {"iss": "https://accounts.evil.example"}),
        ("unverified e-mail", {"email_verified": False}),
        ("no e-mail", {"email": None}),
        ("no expiry", {"exp": None}),
    ],
)
def test_tokens_failing_a_claim_check_are_refused(api_client, assert_contract, google, case, claims):
    OwnerFactory(email="ada@example.com")
    body = assert_contract(_post(api_client, _id_token(google, **claims)), "loginOwnerWithGoogle", status=401)
    assert body["code"] == "AUTH_TOKEN_INVALID", case


def test_expired_token_is_refused(api_client, assert_contract, google):
    now = int(time.time())
    token = _id_token(google, iat=now - 7200, exp=now - 3600)
    assert assert_contract(_post(api_client, token), "loginOwnerWithGoogle", status=401)["code"] == "TOKEN_EXPIRED"


def test_token_signed_by_an_unpublished_key_is_refused(api_client, assert_contract, google):
    OwnerFactory(email="ada@example.com")
    token = _id_token(google, key=google["other"])
    assert_contract(_post(api_client, token), "loginOwnerWithGoogle", status=401)
    token = _id_token(google, key=google["other"], kid="unknown-kid")
    assert_contract(_post(api_client, token), "loginOwnerWithGoogle", status=401)


def test_unsigned_and_hmac_tokens_are_refused(api_client, assert_contract, google):
    OwnerFactory(email="ada@example.com")
    hmac_token = _id_token(google, key="a-shared-secret-an-attacker-picked", algorithm="HS256")
    assert_contract(_post(api_client, hmac_token), "loginOwnerWithGoogle", status=401)
    none_token = jwt.encode({"email": "ada@example.com"}, None, algorithm="none", headers={"kid": "google-1"})
    assert_contract(_post(api_client, none_token), "loginOwnerWithGoogle", status=401)
    assert_contract(_post(api_client, "not-a-jwt"), "loginOwnerWithGoogle", status=401)


def test_disabled_owner_is_refused(api_client, assert_contract, google):
    OwnerFactory(email="ada@example.com", is_active=False)
    body = assert_contract(_post(api_client, _id_token(google)), "loginOwnerWithGoogle", status=403)
    assert body["code"] == "AUTH_ACCOUNT_DISABLED"


def test_without_a_configured_client_id_google_sign_in_is_off(api_client, assert_contract, google_keys):
    with override_settings(GOOGLE_CLIENT_ID="", GOOGLE_JWKS_URL=google_keys["url"]):
        response = _post(api_client, _id_token(google_keys))
    assert assert_contract(response, "loginOwnerWithGoogle", status=403)["code"] == "FEATURE_NOT_AVAILABLE"


def test_missing_id_token_is_a_validation_error(api_client, assert_contract, google):
    body = assert_contract(api_client.post(URL, {}, format="json"), "loginOwnerWithGoogle", status=400)
    assert body["details"][0].startswith("idToken:")


def test_unreachable_key_set_is_a_retryable_error_not_a_login(api_client, assert_contract, google_keys):
    import socket

    with socket.socket() as probe:  # a loopback port with nobody listening
        probe.bind(("127.0.0.1", 0))
        closed_url = f"http://127.0.0.1:{probe.getsockname()[1]}/certs"
    OwnerFactory(email="ada@example.com")
    with override_settings(GOOGLE_CLIENT_ID=CLIENT_ID, GOOGLE_JWKS_URL=closed_url):
        response = _post(api_client, _id_token(google_keys))
    assert assert_contract(response, "loginOwnerWithGoogle", status=503)["code"] == "NETWORK_ERROR"


@contextlib.contextmanager
def _key_set_answering(body: bytes):
    """A loopback "Google" whose JWKS URL answers 200 with ``body``."""
    with loopback_page(body, "application/json") as port:
        yield f"http://127.0.0.1:{port}/certs"


@pytest.mark.parametrize(
    "body", [b"<html>maintenance</html>", b"[]", b"{}", b'{"keys": []}', b'{"keys": [1]}', b'{"keys": "x"}']
)
def test_an_unusable_key_set_is_a_retryable_error_not_a_500(api_client, assert_contract, google_keys, body):
    OwnerFactory(email="ada@example.com")
    api_client.raise_request_exception = False
    with _key_set_answering(body) as url, override_settings(GOOGLE_CLIENT_ID=CLIENT_ID, GOOGLE_JWKS_URL=url):
        response = _post(api_client, _id_token(google_keys))
    assert assert_contract(response, "loginOwnerWithGoogle", status=503)["code"] == "NETWORK_ERROR"


@pytest.mark.parametrize("mode", ["drip_body", "silent", "drip_headers"])
def test_a_key_set_server_that_stalls_is_a_503_within_the_deadline(
    api_client, assert_contract, google_keys, monkeypatch, mode
):
    """The key-set fetch happens inside the sign-in request: one deadline for the whole fetch."""
    from apps.identity import google
    from ringnity.testing.slow_peers import SlowPeer, elapsed

    monkeypatch.setattr(google, "KEY_SET_TIMEOUT_SECONDS", 1)
    OwnerFactory(email="ada@example.com")
    peer = SlowPeer(mode, interval=0.25, drip_bytes=40, content_type="application/json")
    with peer, override_settings(GOOGLE_CLIENT_ID=CLIENT_ID, GOOGLE_JWKS_URL=peer.url("/certs")):
        started = time.monotonic()
        response = _post(api_client, _id_token(google_keys))
        took = elapsed(started)
    assert assert_contract(response, "loginOwnerWithGoogle", status=503)["code"] == "NETWORK_ERROR"
    assert took < 1 + 3
