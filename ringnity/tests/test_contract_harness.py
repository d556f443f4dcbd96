"""The harness itself: it must catch what it claims to catch."""

import json

import pytest
from django.http import HttpResponse

from ringnity.testing.contract import assert_contract, validate_response


def _response(status: int, body, method: str = "GET", path: str = "/api/sdk/health") -> HttpResponse:
    response = HttpResponse(json.dumps(body), status=status, content_type="application/json")
    response.request = {"REQUEST_METHOD": method, "PATH_INFO": path}
    return response


def test_a_valid_success_body_passes():
    # A synthetic body the contract allows (the server's own answer also matches its generated schema).
    validate_response(_response(200, {"success": True, "data": {}}), "getRuntimeHealth")


def test_a_wrong_success_flag_fails():
    with pytest.raises(AssertionError, match="does not match the contract"):
        assert_contract(_response(200, {"success": False}), "getRuntimeHealth")


def test_an_undocumented_success_status_fails():
    with pytest.raises(AssertionError, match="does not document status 201"):
        assert_contract(_response(201, {"success": True, "data": {}}), "getRuntimeHealth")


def test_errors_behind_a_response_ref_are_validated():
    path = "/api/sdk/bootstrap"
    good = {"success": False, "code": "SDK_CLIENT_NOT_FOUND", "message": "x"}
    assert_contract(_response(404, good, path=path), "bootstrapRuntime", status=404)
    with pytest.raises(AssertionError, match="does not match the contract"):
        assert_contract(
            _response(404, {"success": False, "code": "NO_SUCH_CODE", "message": "x"}, path=path), "bootstrapRuntime"
        )


def test_documented_additions_are_accepted_and_nothing_else():
    ok = {"success": False, "code": "VALIDATION_FAILED", "message": "x", "details": ["a: b"]}
    assert_contract(_response(400, ok), "getRuntimeHealth")
    with pytest.raises(AssertionError):
        assert_contract(_response(400, {**ok, "details": [{"field": "a"}]}), "getRuntimeHealth")


def test_the_request_must_hit_the_operations_method_and_path():
    with pytest.raises(AssertionError, match="is GET"):
        assert_contract(_response(200, {"success": True}, method="POST"), "getRuntimeHealth")
    with pytest.raises(AssertionError, match="the test sent /api/sdk/other"):
        assert_contract(_response(200, {"success": True}, path="/api/sdk/other"), "getRuntimeHealth")


def test_nullable_fields_accept_null():
    body = {
        "success": True,
        "data": {
            "client": {
                "id": "c",
                "email": "a@b.co",
                "slug": "s",
                "isActive": True,
                "onboardingCompleted": False,
                "apiKey": "k",
                "name": None,
            },
            "subscription": {"planName": "Free", "planSlug": "free", "status": "active"},
            "accessToken": "a",
            "refreshToken": "r",
            "expiresIn": 900,
            "dashboardUrl": "http://x.example/",
        },
    }
    validate_response(_response(200, body, method="POST", path="/api/auth/owner-login"), "loginOwner")


def test_oauth_errors_accept_the_protocol_codes_the_contract_lacks_and_nothing_else():
    path = "/api/oauth/userinfo"
    validate_response(_response(401, {"error": "invalid_token"}, path=path), "getRingnityOAuthUserInfo")
    with pytest.raises(AssertionError):
        validate_response(_response(401, {"error": "made_up"}, path=path), "getRingnityOAuthUserInfo")
