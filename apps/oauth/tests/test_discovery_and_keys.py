"""Discovery document, JWKS and key rotation, the scope catalog against the contract, deploy checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto import jwk, jws

from apps.oauth import keys
from apps.oauth import scopes as catalog
from apps.oauth.tests.factories import exchange, get_code, make_client
from apps.tenants.tests.factories import OwnerFactory, TenantFactory

BASE_DIR = Path(__file__).resolve().parents[3]


def _pem(public_only: bool = False) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if public_only:
        return (
            key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.mark.parametrize("path", ["/.well-known/openid-configuration", "/api/.well-known/openid-configuration"])
def test_discovery_at_the_root_and_under_api(client, assert_contract, path):
    response = client.get(path)
    body = response.json() if path.startswith("/.") else assert_contract(response, "getOpenIdConfiguration")
    assert body["issuer"] == "http://127.0.0.1:8192"
    assert body["authorization_endpoint"] == "http://127.0.0.1:8192/api/oauth/authorize"
    assert body["token_endpoint"] == "http://127.0.0.1:8192/api/oauth/token"
    assert body["jwks_uri"] == "http://127.0.0.1:8192/api/oauth/jwks.json"
    assert body["response_types_supported"] == ["code"]
    assert body["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert body["code_challenge_methods_supported"] == ["S256"]
    assert body["id_token_signing_alg_values_supported"] == ["RS256"]
    assert body["authorization_response_iss_parameter_supported"] is True
    assert set(body["claims_supported"]) == {
        "sub",
        "name",
        "email",
        "email_verified",
        "tenant_id",
        "tenant_slug",
        "roles",
    }
    assert body["scopes_supported"] == list(catalog.AVAILABLE_SCOPES)
    assert body["token_endpoint_auth_methods_supported"] == ["client_secret_basic", "client_secret_post", "none"]


def test_discovery_follows_the_public_url_setting(client, settings):
    settings.RINGNITY_PUBLIC_URL = "https://api.ringnity.test"
    body = client.get("/.well-known/openid-configuration").json()
    assert body["issuer"] == "https://api.ringnity.test"
    assert body["userinfo_endpoint"] == "https://api.ringnity.test/api/oauth/userinfo"


@pytest.mark.django_db
def test_every_id_token_kid_is_in_the_jwks(client, assert_contract):
    owner = OwnerFactory(tenant=TenantFactory(slug="acme"))
    oauth_client, secret = make_client(owner.tenant)
    code, verifier = get_code(client, oauth_client, owner)
    id_token = exchange(client, oauth_client, code, verifier, secret=secret).json()["id_token"]
    header = jws.JWS.from_jose_token(id_token).jose_header
    body = assert_contract(client.get("/api/oauth/jwks.json"), "getRingnityOAuthJwks")
    assert header["alg"] == "RS256"
    assert header["kid"] in {key["kid"] for key in body["keys"]}
    assert all(set(key) == {"kty", "kid", "use", "alg", "n", "e"} for key in body["keys"])


def test_previous_keys_stay_published_during_a_rotation(client, settings):
    current = settings.OIDC_RSA_PRIVATE_KEY
    previous_private, previous_public = _pem(), _pem(public_only=True)
    settings.OIDC_RSA_PREVIOUS_KEYS = previous_private + "\n" + previous_public + "\n" + current
    kids = [key["kid"] for key in client.get("/api/oauth/jwks.json").json()["keys"]]
    expected = [jwk.JWK.from_pem(pem.encode()).thumbprint() for pem in (current, previous_private, previous_public)]
    assert kids == expected
    assert keys.signing_key().thumbprint() == expected[0]


def test_check_deploy_reports_nothing_for_this_app(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DEBUG", "DJANGO_SETTINGS_MODULE")},
        "DEBUG": "false",
        "SECRET_KEY": "x" * 64 + "-deploy-check-" + "y" * 20,
        "DATABASE_URL": os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/unused",
        "REDIS_URL": os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15",
        "DATA_DIR": str(tmp_path),
        "OIDC_RSA_PRIVATE_KEY": _pem(),
        "RINGNITY_PUBLIC_URL": "https://api.ringnity.test",
        "DJANGO_SETTINGS_MODULE": "ringnity.settings",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    assert "oauth." not in result.stdout + result.stderr
    assert not (tmp_path / "oidc-rsa-key.pem").exists()
    env.pop("OIDC_RSA_PRIVATE_KEY")
    env["RINGNITY_PUBLIC_URL"] = "http://api.ringnity.test"
    warned = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    assert "oauth.W001" in warned.stdout + warned.stderr
    assert "oauth.W002" in warned.stdout + warned.stderr
    assert oct((tmp_path / "oidc-rsa-key.pem").stat().st_mode & 0o777) == "0o600"


def test_a_one_line_pem_with_escaped_newlines_is_read(settings):
    pem = _pem()
    settings.OIDC_RSA_PRIVATE_KEY = pem.replace("\n", "\\n")
    assert keys.signing_key().thumbprint() == jwk.JWK.from_pem(pem.encode()).thumbprint()
