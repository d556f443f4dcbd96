"""A real OAuth client (authlib) against the live test server: code + PKCE, ID token, userinfo, refresh, revoke.

The browser part (sign-in and consent forms) is a ``requests`` session that keeps cookies and posts
the CSRF token of each page, as a browser would; nothing of the server is called in-process.
"""

import secrets
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet

from apps.oauth.tests.factories import CALLBACK, make_client, post_form
from apps.tenants.tests.factories import DEFAULT_PASSWORD, OwnerFactory, TenantFactory


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("auth_method", ["client_secret_basic", "client_secret_post", "none"])
def test_authlib_runs_code_flow_with_pkce_against_the_live_server(live_server, settings, auth_method):
    settings.RINGNITY_PUBLIC_URL = live_server.url
    owner = OwnerFactory(tenant=TenantFactory(slug="acme"), email="ada@acme.example.com", name="Ada")
    oauth_client, secret = make_client(owner.tenant, client_type="public" if auth_method == "none" else "confidential")
    discovery = requests.get(f"{live_server.url}/.well-known/openid-configuration", timeout=10).json()
    assert discovery["issuer"] == live_server.url

    session = OAuth2Session(
        client_id=oauth_client.client_id,
        client_secret=secret,
        scope="openid profile email tenant.read",
        redirect_uri=CALLBACK,
        code_challenge_method="S256",
        token_endpoint_auth_method=auth_method,
    )
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(12)
    authorize_url, state = session.create_authorization_url(
        discovery["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )

    browser = requests.Session()
    sign_in_page = browser.get(authorize_url, timeout=10)
    assert sign_in_page.status_code == 200
    signed = post_form(
        browser, authorize_url, sign_in_page, {"signin": "owner", "email": owner.email, "password": DEFAULT_PASSWORD}
    )
    assert signed.status_code == 303
    consent_page = browser.get(f"{live_server.url}{signed.headers['Location']}", timeout=10)
    assert 'name="allow"' in consent_page.text
    allowed = post_form(browser, authorize_url, consent_page, {"allow": "1"})
    callback = allowed.headers["Location"]
    assert callback.startswith(CALLBACK)
    returned = {k: v[0] for k, v in parse_qs(urlsplit(callback).query).items()}
    assert returned["state"] == state
    assert returned["iss"] == discovery["issuer"]

    token = session.fetch_token(discovery["token_endpoint"], authorization_response=callback, code_verifier=verifier)
    assert token["expires_in"] == 900
    jwks = KeySet.import_key_set(requests.get(discovery["jwks_uri"], timeout=10).json())
    id_token = jwt.decode(token["id_token"], jwks, algorithms=["RS256"])
    claims = id_token.claims
    assert id_token.header["kid"] in {key.kid for key in jwks.keys}
    assert claims["iss"] == discovery["issuer"]
    assert claims["aud"] == oauth_client.client_id
    assert claims["nonce"] == nonce
    assert claims["sub"] == owner.public_id
    assert claims["tenant_slug"] == "acme"

    userinfo = session.get(discovery["userinfo_endpoint"], timeout=10).json()
    assert userinfo == {
        "sub": owner.public_id,
        "name": "Ada",
        "email": "ada@acme.example.com",
        "email_verified": False,
        "tenant_id": owner.tenant.public_id,
        "tenant_slug": "acme",
    }

    old_refresh = token["refresh_token"]
    refreshed = session.refresh_token(discovery["token_endpoint"], refresh_token=old_refresh)
    assert refreshed["refresh_token"] != old_refresh
    assert session.get(discovery["userinfo_endpoint"], timeout=10).status_code == 200

    revoked = session.revoke_token(
        discovery["revocation_endpoint"], token=refreshed["refresh_token"], token_type_hint="refresh_token"
    )
    assert revoked.status_code == 200
    assert revoked.json() == {"success": True}
    assert session.get(discovery["userinfo_endpoint"], timeout=10).status_code == 401
    # Keep-alive connections hold a server thread (and its database connection) open: close them.
    session.close()
    browser.close()
