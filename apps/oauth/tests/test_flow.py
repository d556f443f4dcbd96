"""The authorization-code flow end to end through the Django test client: code, token, userinfo, refresh, revoke."""

import json

import pytest
from jwcrypto import jwk, jwt

from apps.oauth.tests.factories import (
    REVOKE,
    TOKEN,
    USERINFO,
    exchange,
    form_post,
    get_code,
    make_client,
)

pytestmark = pytest.mark.django_db


def test_code_flow_issues_tokens_an_id_token_and_userinfo(client, api_client, assert_contract, owner):
    oauth_client, secret = make_client(owner.tenant)
    code, verifier = get_code(client, oauth_client, owner, scope="openid profile email tenant.read", nonce="n-1")
    response = exchange(client, oauth_client, code, verifier, secret=secret)
    body = assert_contract(response, "exchangeRingnityOAuthToken", status=200)
    assert body["expires_in"] == 900
    assert body["scope"] == "openid profile email tenant.read"
    keys = jwk.JWKSet.from_json(json.dumps(client.get("/api/oauth/jwks.json").json()))
    claims = json.loads(jwt.JWT(jwt=body["id_token"], key=keys).claims)
    assert claims["sub"] == owner.public_id
    assert claims["nonce"] == "n-1"
    assert claims["aud"] == oauth_client.client_id
    assert claims["tenant_slug"] == "acme"
    info = client.get(USERINFO, HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    data = assert_contract(info, "getRingnityOAuthUserInfo", status=200)
    assert data["email"] == "ada@acme.example.com"
    assert data["tenant_id"] == owner.tenant.public_id
    assert "roles" not in data

    refreshed = form_post(
        client,
        TOKEN,
        {
            "grant_type": "refresh_token",
            "refresh_token": body["refresh_token"],
            "client_id": oauth_client.client_id,
            "client_secret": secret,
        },
    )
    new = assert_contract(refreshed, "exchangeRingnityOAuthToken", status=200)
    assert new["refresh_token"] != body["refresh_token"]

    revoked = form_post(
        client, REVOKE, {"token": new["refresh_token"], "client_id": oauth_client.client_id, "client_secret": secret}
    )
    assert_contract(revoked, "revokeRingnityOAuthToken", status=200)
    gone = client.get(USERINFO, HTTP_AUTHORIZATION=f"Bearer {new['access_token']}")
    assert gone.status_code == 401
