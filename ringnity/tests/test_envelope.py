"""The envelope renderer and the one exception handler, one status class at a time."""

import logging

import pytest

pytestmark = pytest.mark.urls("ringnity.tests.urls")


def test_success_is_wrapped_in_the_success_envelope(api_client, assert_contract):
    response = api_client.get("/api/sdk/health")
    body = assert_contract(response, "getRuntimeHealth", status=200)
    assert body["success"] is True
    assert body["data"]["status"] == "ok"


def test_validation_error_lists_every_bad_field(api_client):
    response = api_client.post("/api/test/echo", {"name": "toolong", "age": -1, "tags": ["ok", "long"]}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False
    assert body["code"] == "VALIDATION_FAILED"
    assert set(body["details"]) == {
        "name: Ensure this field has no more than 5 characters.",
        "age: Ensure this value is greater than or equal to 0.",
        "tags[1]: Ensure this field has no more than 3 characters.",
    }


def test_malformed_json_is_a_400_validation_error(api_client):
    response = api_client.generic("POST", "/api/test/echo", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "code": "VALIDATION_FAILED",
        "message": "Malformed JSON body at line 1, column 2: Expecting property name enclosed in double quotes.",
        "details": ["body: Expecting property name enclosed in double quotes at line 1, column 2 (character 1)"],
    }


def test_deeply_nested_json_is_a_400_not_a_crash(api_client):
    response = api_client.generic("POST", "/api/test/echo", "[" * 100_000, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_FAILED"


def test_a_body_over_the_upload_limit_is_a_413_without_parsing(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = '{"name": "' + "x" * 2000 + '", "age": 1}'
    response = api_client.generic("POST", "/api/test/echo", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "PAYLOAD_TOO_LARGE"


def test_error_details_echoing_a_lone_surrogate_still_render(api_client):
    response = api_client.generic(
        "POST", "/api/test/echo", '{"name": "n", "age": 1, "kind": "\\ud800"}', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["details"] == ['kind: "\ud800" is not a valid choice.']


def test_a_host_this_deployment_does_not_serve_is_a_400_envelope(client, settings):
    settings.DEBUG = False
    response = client.get("/api/sdk/health", HTTP_HOST="evil.example.net")
    assert response.status_code == 400
    assert response.json() == {"success": False, "code": "BAD_REQUEST", "message": "Bad request."}


def test_unsupported_media_type_is_a_415_envelope(api_client):
    response = api_client.generic("POST", "/api/test/echo", "name=x", content_type="text/plain")
    assert response.status_code == 415
    assert response.json()["code"] == "UNSUPPORTED_MEDIA_TYPE"


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("api-error", 409, "CONFLICT"),
        ("not-authenticated", 401, "AUTH_REQUIRED"),
        ("forbidden", 403, "PERMISSION_DENIED"),
        ("http404", 404, "NOT_FOUND"),
        ("throttled", 429, "RATE_LIMITED"),
    ],
)
def test_each_error_class_becomes_an_error_envelope(api_client, kind, status, code):
    response = api_client.get(f"/api/test/raise/{kind}")
    assert response.status_code == status
    body = response.json()
    assert body["success"] is False
    assert body["code"] == code
    assert set(body) <= {"success", "code", "message", "details"}
    assert "secret internal detail" not in response.content.decode()


def test_api_error_keeps_its_details(api_client):
    body = api_client.get("/api/test/raise/api-error").json()
    assert body == {"success": False, "code": "CONFLICT", "message": "Already there.", "details": ["name: taken"]}


def test_throttled_answers_with_retry_after(api_client):
    response = api_client.get("/api/test/raise/throttled")
    assert response["Retry-After"] == "13"


def test_unexpected_exception_is_a_500_envelope_without_internals(api_client, caplog):
    api_client.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="ringnity.api"):
        response = api_client.get("/api/test/raise/crash", HTTP_X_REQUEST_ID="req-crash-1")
    assert response.status_code == 500
    assert response.json() == {"success": False, "code": "INTERNAL_ERROR", "message": "Internal server error."}
    assert "hunter2" not in response.content.decode()
    assert response["X-Request-Id"] == "req-crash-1"
    logged = [r for r in caplog.records if r.name == "ringnity.api"]
    assert logged
    assert "req-crash-1" in logged[0].getMessage()
    assert logged[0].exc_info is not None


def test_unknown_api_route_is_a_404_envelope(api_client):
    response = api_client.get("/api/no/such/route")
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"


def test_wrong_method_is_a_405_envelope(api_client, assert_contract):
    response = api_client.delete("/api/sdk/health")
    assert response.status_code == 405
    assert response.json()["code"] == "METHOD_NOT_ALLOWED"


def test_view_without_declared_principals_is_closed(api_client):
    response = api_client.get("/api/test/closed")
    assert response.status_code == 403
    assert response.json()["code"] == "PERMISSION_DENIED"


def test_request_id_is_echoed_when_sane_and_generated_otherwise(api_client):
    assert api_client.get("/api/sdk/health", HTTP_X_REQUEST_ID="abc-123")["X-Request-Id"] == "abc-123"
    generated = api_client.get("/api/sdk/health", HTTP_X_REQUEST_ID="bad id\nwith newline")["X-Request-Id"]
    assert generated != "bad id\nwith newline"
    assert len(generated) == 32
