"""Malformed input on the OAuth protocol endpoints is a 4xx in the OAuth error shape, never a 500
(issue 22, finding 9): NUL anywhere in a parameter or in Basic credentials, and request bodies that
are not ``application/x-www-form-urlencoded`` (the only body the contract documents for token and
revoke; ``multipart/form-data`` garbage used to be a ``MultiPartParserError``)."""

import base64
from urllib.parse import urlencode

import pytest

from apps.oauth.models import AuthorizationCode
from apps.oauth.tests.factories import (
    AUTHORIZE,
    CALLBACK,
    REVOKE,
    TOKEN,
    USERINFO,
    authorize_params,
    form_post,
    get_code,
    pkce_pair,
    sign_in,
)

pytestmark = pytest.mark.django_db
JSON_ONLY = {"HTTP_ACCEPT": "application/json"}
BROWSER = {"HTTP_ACCEPT": "text/html,application/xhtml+xml,*/*;q=0.8"}


def _token_fields(client, code="c0de", verifier="v" * 43) -> dict:
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CALLBACK,
        "client_id": client.client_id,
        "client_secret": "s3cret",
        "code_verifier": verifier,
    }


@pytest.mark.parametrize("field", ["grant_type", "code", "redirect_uri", "client_id", "client_secret", "code_verifier"])
def test_a_nul_in_any_token_field_is_a_400_invalid_request(client, assert_contract, confidential, field):
    fields = _token_fields(confidential[0])
    fields[field] = fields[field][:3] + "\x00" + fields[field][3:]
    response = form_post(client, TOKEN, fields)
    body = assert_contract(response, "exchangeRingnityOAuthToken", status=400)
    assert body["error"] == "invalid_request"
    assert field in body["error_description"]


def test_a_nul_in_a_refresh_token_is_a_400(client, assert_contract, confidential):
    fields = {"grant_type": "refresh_token", "refresh_token": "a\x00b", "client_id": confidential[0].client_id}
    body = assert_contract(form_post(client, TOKEN, fields), "exchangeRingnityOAuthToken", status=400)
    assert body["error"] == "invalid_request"


def test_a_nul_in_basic_credentials_is_a_400(client, assert_contract, confidential):
    basic = base64.b64encode(b"rn_oauth_\x00:secret").decode()
    fields = {k: v for k, v in _token_fields(confidential[0]).items() if k not in ("client_id", "client_secret")}
    response = form_post(client, TOKEN, fields, HTTP_AUTHORIZATION=f"Basic {basic}")
    assert assert_contract(response, "exchangeRingnityOAuthToken", status=400)["error"] == "invalid_request"


def test_a_code_exchange_still_works_after_the_checks(client, assert_contract, owner, confidential):
    oauth_client, secret = confidential
    code, verifier = get_code(client, oauth_client, owner)
    fields = {**_token_fields(oauth_client, code, verifier), "client_secret": secret}
    assert assert_contract(form_post(client, TOKEN, fields), "exchangeRingnityOAuthToken", status=200)["access_token"]


@pytest.mark.parametrize(
    "content_type",
    ["multipart/form-data", "multipart/form-data; boundary=zzz", "multipart/form-data; boundary=\x7f"],
)
@pytest.mark.parametrize(
    ("path", "operation_id"), [(TOKEN, "exchangeRingnityOAuthToken"), (REVOKE, "revokeRingnityOAuthToken")]
)
def test_multipart_garbage_is_a_400_not_a_500(client, assert_contract, path, operation_id, content_type):
    response = client.post(path, data=b"--zzz\r\ngarbage\r\n\r\n", content_type=content_type)
    body = assert_contract(response, operation_id, status=400)
    assert body["error"] == "invalid_request"
    assert "application/x-www-form-urlencoded" in body["error_description"]


@pytest.mark.parametrize(
    ("path", "operation_id"), [(TOKEN, "exchangeRingnityOAuthToken"), (REVOKE, "revokeRingnityOAuthToken")]
)
@pytest.mark.parametrize("fmt", ["multipart", "json"])
def test_a_well_formed_body_of_another_type_is_refused_and_nothing_is_exchanged(
    client, assert_contract, owner, confidential, path, operation_id, fmt
):
    """The contract documents form-urlencoded only: a multipart or JSON body is refused even when valid,
    and a code sent that way stays unused."""
    oauth_client, secret = confidential
    code, verifier = get_code(client, oauth_client, owner)
    fields = {**_token_fields(oauth_client, code, verifier), "client_secret": secret, "token": "x"}
    if fmt == "multipart":
        response = client.post(path, fields)  # the test client's default body is multipart/form-data
    else:
        response = client.post(path, fields, content_type="application/json")
    body = assert_contract(response, operation_id, status=400)
    assert body["error"] == "invalid_request"
    assert AuthorizationCode.objects.filter(code=code).exists()


def test_a_nul_in_a_revoke_field_is_a_400(client, assert_contract, confidential):
    oauth_client, secret = confidential
    fields = {"token": "a\x00b", "client_id": oauth_client.client_id, "client_secret": secret}
    body = assert_contract(
        form_post(client, REVOKE, fields),
        "revokeRingnityOAuthToken",
        status=400,
    )
    assert body["error"] == "invalid_request"


def test_a_nul_in_the_userinfo_bearer_token_is_a_401(client, assert_contract):
    response = client.get(USERINFO, HTTP_AUTHORIZATION="Bearer a\x00b")
    assert assert_contract(response, "getRingnityOAuthUserInfo", status=401)["error"] == "invalid_token"


@pytest.mark.parametrize("parameter", ["client_id", "redirect_uri", "state", "scope", "code_challenge"])
def test_a_nul_in_an_authorize_parameter_is_an_error_page_never_a_500(client, owner, confidential, parameter):
    sign_in(client, owner)
    _verifier, challenge = pkce_pair()
    params = authorize_params(confidential[0], challenge=challenge)
    params[parameter] = params[parameter] + "\x00"
    response = client.get(f"{AUTHORIZE}?{urlencode(params)}", **BROWSER)
    assert response.status_code == 400
    assert "Location" not in response
    assert response["Content-Type"].startswith("text/html")


def test_a_nul_client_id_answers_the_oauth_error_to_a_client_that_asks_for_json(client, assert_contract):
    query = urlencode({"client_id": "\x00", "redirect_uri": CALLBACK})
    response = client.get(f"{AUTHORIZE}?{query}", **JSON_ONLY)
    assert assert_contract(response, "authorizeWithRingnity", status=400)["error"] == "invalid_request"


@pytest.mark.parametrize("accept", [None, "*/*", "application/json"])
def test_an_unknown_client_gets_the_documented_oauth_error_unless_the_caller_asks_for_html(
    client, assert_contract, accept
):
    """The contract documents ``OAuthError`` JSON for 4XX; browsers (``Accept: text/html``) get the page."""
    query = urlencode({"client_id": "rn_oauth_nope", "redirect_uri": CALLBACK, "response_type": "code"})
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    response = client.get(f"{AUTHORIZE}?{query}", **headers)
    assert assert_contract(response, "authorizeWithRingnity", status=400)["error"] == "invalid_request"
    page = client.get(f"{AUTHORIZE}?{query}", **BROWSER)
    assert page.status_code == 400
    assert page["Content-Type"].startswith("text/html")
