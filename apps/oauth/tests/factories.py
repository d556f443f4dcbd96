"""Helpers for Login with Ringnity tests: clients, PKCE pairs, a signed-in browser session, a whole code flow."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
from urllib.parse import parse_qs, urlencode, urlsplit

from apps.oauth import services
from apps.oauth.api.authorize import SESSION_AUTH_TIME, SESSION_HASH, SESSION_USER
from apps.plans.tests.factories import subscribe

AUTHORIZE = "/api/oauth/authorize"
TOKEN = "/api/oauth/token"
REVOKE = "/api/oauth/revoke"
USERINFO = "/api/oauth/userinfo"
CALLBACK = "https://app.example.com/cb"


def allow_clients(tenant, count: int | str = "unlimited", **quotas) -> None:
    subscribe(tenant, features={"chat": True, "oauth_login": True}, quotas={"oauth_clients": count, **quotas})


def make_client(tenant, *, client_type="confidential", redirect_uris=(CALLBACK,), scopes=None, require_pkce=None):
    """``(client, secret)``; puts the tenant on a plan allowing clients unless it has one."""
    if not hasattr(tenant, "subscription"):
        allow_clients(tenant)
    scopes = scopes or ["openid", "profile", "email", "tenant.read", "roles.read", "developer.read", "sdk.keys.read"]
    return services.oauth_client_create(
        tenant=tenant,
        name="Shop plugin",
        client_type=client_type,
        redirect_uris=list(redirect_uris),
        allowed_scopes=scopes,
        require_pkce=require_pkce,
    )


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def sign_in(django_client, user, *, auth_time: float | None = None) -> None:
    """What a successful sign-in form leaves in the browser session."""
    session = django_client.session
    session[SESSION_USER] = user.pk
    session[SESSION_AUTH_TIME] = auth_time if auth_time is not None else time.time()
    session[SESSION_HASH] = user.get_session_auth_hash()
    session.save()


def authorize_params(client, *, challenge: str | None = None, scope="openid profile email", **extra) -> dict:
    params = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": CALLBACK,
        "scope": scope,
        "state": "st-123",
    }
    if challenge:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    params.update(extra)
    return {k: v for k, v in params.items() if v is not None}


def query_of(response) -> dict:
    location = response["Location"]
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def get_code(django_client, client, user, **params) -> tuple[str, str]:
    """Runs authorize with consent for ``user``; returns ``(code, verifier)``."""
    verifier, challenge = pkce_pair()
    sign_in(django_client, user)
    query = authorize_params(client, challenge=challenge, **params)
    response = django_client.post(f"{AUTHORIZE}?{urlencode(query)}", {"allow": "1"})
    assert response.status_code == 302, response.content[:500]
    values = query_of(response)
    assert "code" in values, values
    return values["code"], verifier


def form_post(django_client, path: str, fields: dict, **extra):
    """A POST with an ``application/x-www-form-urlencoded`` body, the only one token and revoke take."""
    return django_client.post(path, urlencode(fields), content_type="application/x-www-form-urlencoded", **extra)


def exchange(django_client, client, code, verifier, *, secret=None, redirect_uri=CALLBACK, **extra):
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": client.client_id,
        "code_verifier": verifier,
        **extra,
    }
    if secret:
        data["client_secret"] = secret
    return form_post(django_client, TOKEN, {k: v for k, v in data.items() if v is not None})


CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def post_form(browser, url: str, page, fields: dict):
    """What a browser sends for a form of ``page`` (a ``requests`` response): its CSRF token and ``fields``."""
    token = CSRF_FIELD.search(page.text).group(1)
    return browser.post(url, data={"csrfmiddlewaretoken": token, **fields}, allow_redirects=False, timeout=10)
