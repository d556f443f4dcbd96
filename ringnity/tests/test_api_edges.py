"""What callers see at the edges of the API (issue 9 findings 3-4, issue 15 error messages).

Unknown routes are a JSON 404 for every method (never the CSRF page), near misses name the real
route, every 401 has ``WWW-Authenticate`` and says what the operation expects and what was sent,
the schema/docs views answer errors as envelopes, bad JSON names its line and column.
"""

import pytest
from django.test import Client

from apps.identity.sessions import SessionScope, session_issue
from apps.runtime.tests.fixtures import ready_tenant, runtime_headers, server_headers
from apps.runtime.tokens import TokenKind
from apps.tenants.tests.factories import OwnerFactory

METHODS = ["get", "post", "put", "patch", "delete", "options", "head"]


@pytest.fixture
def csrf_client() -> Client:
    """A client that enforces CSRF like a browser-facing deployment (the test client skips it by default)."""
    return Client(enforce_csrf_checks=True)


def _envelope(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    if response.request["REQUEST_METHOD"] == "HEAD":
        return {}
    body = response.json()
    assert body["success"] is False
    return body


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "path", ["/api/does-not-exist", "/api/does/not/exist/", "/api", "/api/", "/API/server/health", "/Api/x"]
)
def test_unknown_api_paths_are_a_json_404_for_every_method_never_the_csrf_page(csrf_client, method, path):
    body = _envelope(getattr(csrf_client, method)(path, content_type="application/json"), 404)
    assert body.get("code", "NOT_FOUND") == "NOT_FOUND"


@pytest.mark.parametrize(
    ("path", "hint"),
    [
        ("/api/server/health/", "/api/server/health exists: send the path without the trailing slash."),
        ("/api/sdk/session/", "/api/sdk/session exists: send the path without the trailing slash."),
        ("/api/schema", "/api/schema/ exists: send the path with a trailing slash."),
        ("/api/Server/Health", "/api/server/health exists: paths are case-sensitive."),
        ("/API/SDK/HEALTH/", "/api/sdk/health exists: paths are case-sensitive."),
    ],
)
def test_a_near_miss_names_the_route_that_exists(csrf_client, path, hint):
    body = _envelope(csrf_client.post(path, content_type="application/json"), 404)
    assert body["details"] == [hint]


def test_a_path_that_matches_nothing_has_no_hint(csrf_client):
    assert "details" not in _envelope(csrf_client.get("/api/server/nothing-here"), 404)


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", "/api/schema/"), ("delete", "/api/schema/"), ("post", "/api/docs/"), ("put", "/api/redoc/")],
)
def test_unsupported_methods_on_schema_and_docs_are_a_405_envelope(csrf_client, method, path):
    body = _envelope(getattr(csrf_client, method)(path), 405)
    assert body["code"] == "METHOD_NOT_ALLOWED"


# --- 401: WWW-Authenticate everywhere, and what was expected / what was sent ------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("headers", "received"),
    [
        (
            {},
            "received: no credentials (no `Authorization`, `X-Ringnity-SDK-Session` or "
            "`X-Ringnity-Chat-Session` header)",
        ),
        ({"HTTP_AUTHORIZATION": "Basic dXNlcjpwYXNz"}, "an `Authorization` header with the `Basic` scheme instead"),
        ({"HTTP_AUTHORIZATION": "rn_sk_live_abc"}, "with a Server API key (`rn_sk_…`) but no `Bearer ` scheme"),
        ({"HTTP_X_API_KEY": "rn_sk_live_abc"}, "a `X-API-Key` header, which this API does not read"),
        ({"HTTP_AUTHORIZATION": "Bearer "}, "`Authorization: Bearer` with an empty token"),
    ],
)
def test_a_server_api_call_without_a_key_says_to_send_a_bearer_rn_sk_key(client, headers, received):
    response = client.get("/api/server/health", **headers)
    body = _envelope(response, 401)
    assert body["code"] == "SERVER_API_KEY_INVALID"
    assert body["message"] == (
        "No credentials for this operation. Send `Authorization: Bearer rn_sk_…` (a Server API key)."
    )
    assert body["details"][0] == "expected: `Authorization: Bearer rn_sk_…` (a Server API key)"
    assert received in body["details"][1]
    assert response["WWW-Authenticate"] == 'Bearer realm="server-api"'
    assert "abc" not in response.content.decode()  # never echoes a secret


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("token", "message", "received"),
    [
        (
            "rn_sk_live_" + "x" * 40,
            "No active Server API key matches this secret (unknown, disabled or rotated).",
            "received: `Authorization: Bearer` with a Server API key (`rn_sk_…`)",
        ),
        (
            "a.b.c",
            "The bearer token is not a Server API key (keys start with `rn_sk_`).",
            "received: `Authorization: Bearer` with a JWT",
        ),
        (
            "hello",
            "The bearer token is not a Server API key (keys start with `rn_sk_`).",
            "received: `Authorization: Bearer` with a token that is neither a Server API key",
        ),
    ],
)
def test_an_invalid_server_api_key_is_a_401_with_www_authenticate_and_what_was_sent(client, token, message, received):
    response = client.get("/api/server/health", HTTP_AUTHORIZATION=f"Bearer {token}")
    body = _envelope(response, 401)
    assert body["code"] == "SERVER_API_KEY_INVALID"
    assert body["message"] == message
    assert body["details"][1].startswith(received)
    assert response["WWW-Authenticate"] == 'Bearer realm="server-api"'


@pytest.mark.django_db
def test_a_runtime_route_without_a_session_says_to_send_the_sdk_session_header(client):
    tenant = ready_tenant()
    response = client.post("/api/sdk/devices/push-token", {}, content_type="application/json", **server_headers(tenant))
    body = _envelope(response, 401)
    assert body["code"] == "SDK_SESSION_REQUIRED"
    assert "Send `X-Ringnity-SDK-Session: <runtime token>`" in body["message"]
    assert body["details"][1] == "received: `Authorization: Bearer` with a Server API key (`rn_sk_…`)"
    assert response["WWW-Authenticate"] == 'X-Ringnity-SDK-Session realm="sdk-runtime"'


VISITOR_CHALLENGES = 'X-Ringnity-SDK-Session realm="sdk-runtime", X-Ringnity-Chat-Session realm="chat-visitor"'


@pytest.mark.django_db
def test_a_visitor_route_without_credentials_names_both_visitor_credentials(client):
    response = client.get("/api/chat/visitor/tickets/open")
    body = _envelope(response, 401)
    assert body["code"] == "SDK_SESSION_REQUIRED"
    assert body["message"] == (
        "No credentials for this operation. Send `X-Ringnity-SDK-Session: <runtime token>` (from POST /sdk/session "
        "or the Server API) or `X-Ringnity-Chat-Session: <chat session token>` (from POST /chat/visitor/sessions)."
    )
    assert response["WWW-Authenticate"] == VISITOR_CHALLENGES


@pytest.mark.django_db
def test_a_visitor_start_without_credentials_names_the_anonymous_start_too(client):
    response = client.post("/api/chat/visitor/sessions", {}, content_type="application/json")
    body = _envelope(response, 401)
    assert body["code"] == "SDK_SESSION_REQUIRED"
    for header in ("X-Ringnity-SDK-Session", "X-Ringnity-Chat-Session", "X-Ringnity-Tenant"):
        assert header in body["message"]
        assert header in body["details"][0]
    assert response["WWW-Authenticate"] == f'{VISITOR_CHALLENGES}, X-Ringnity-Tenant realm="chat-visitor-start"'


@pytest.mark.django_db
def test_a_call_route_without_credentials_names_every_credential_it_takes(client):
    response = client.get("/api/calls/sessions/call_unknown")
    body = _envelope(response, 401)
    for header in ("X-Ringnity-SDK-Session", "X-Ringnity-Chat-Session", "<owner or workspace access token>"):
        assert header in body["message"]
    assert response["WWW-Authenticate"] == f'{VISITOR_CHALLENGES}, Bearer realm="api"'


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "headers", "code"),
    [
        ("/api/sdk/devices/push-token", {"HTTP_X_RINGNITY_SDK_SESSION": "garbage"}, "AUTH_TOKEN_INVALID"),
        ("/api/auth/owner-me", {"HTTP_AUTHORIZATION": "Bearer a.b.c"}, "AUTH_TOKEN_INVALID"),
        ("/api/platform/ai-pricing", {"HTTP_AUTHORIZATION": "Bearer a.b.c"}, "AUTH_TOKEN_INVALID"),
    ],
)
def test_a_present_but_invalid_credential_gets_www_authenticate_too(client, path, headers, code):
    response = (
        client.get(path, **headers)
        if "sdk" not in path
        else client.post(path, {}, content_type="application/json", **headers)
    )
    body = _envelope(response, 401)
    assert body["code"] == code
    assert response.has_header("WWW-Authenticate")
    assert body["details"][0].startswith("expected: ")


@pytest.mark.django_db
def test_a_token_of_another_kind_is_a_401_naming_the_expected_scheme(client):
    tenant = ready_tenant()
    response = client.get("/api/server/health", **runtime_headers(tenant, TokenKind.ADMIN))
    assert _envelope(response, 401)["code"] == "SERVER_API_KEY_INVALID"
    owner = OwnerFactory(tenant=tenant)
    access = session_issue(user=owner, scope=SessionScope.OWNER).access
    response = client.get("/api/platform/ai-pricing", HTTP_AUTHORIZATION=f"Bearer {access}")
    body = _envelope(response, 401)
    assert body["details"][0] == (
        "expected: `Authorization: Bearer <platform access token>` (from POST /platform/auth/login)"
    )
    assert response["WWW-Authenticate"]


# --- bad JSON -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ('{"name": "a",\n  "age": }', "Malformed JSON body at line 2, column 10: Expecting value."),
        ('{"name": "a" "age": 1}', "Malformed JSON body at line 1, column 14: Expecting ',' delimiter."),
        ('{"name": NaN}', "Malformed JSON body: NaN and Infinity are not JSON."),
    ],
)
def test_bad_json_names_line_and_column(client, raw, message):
    response = client.post("/api/sdk/session", raw, content_type="application/json")
    body = _envelope(response, 400)
    assert body["code"] == "VALIDATION_FAILED"
    assert body["message"] == message
    assert body["details"][0].startswith("body: ")


def test_a_body_that_is_not_utf8_says_so(client):
    response = client.post("/api/sdk/session", b'{"a": "\xff"}', content_type="application/json")
    assert _envelope(response, 400)["message"] == "Malformed JSON body: not valid utf-8 at byte 7."
