"""What gunicorn does not do for us: HEAD without a body, no caching of private answers, no silently
dropped chunked bodies. Driven through Django's WSGI handler, which is what gunicorn calls (the test
client strips HEAD bodies itself, so it would hide the defect)."""

import json

import pytest
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.test import RequestFactory

from apps.developer.tests.factories import ServerApiKeyFactory
from apps.plans.tests.factories import subscribe
from apps.webhooks.models import WebhookEndpoint
from ringnity.testing.contract import validate_response

pytestmark = pytest.mark.django_db


def _wsgi(environ: dict) -> tuple[int, dict, bytes]:
    """One request through the WSGI handler; like Django's test client, it keeps the test's connection open."""
    captured = {}

    def start_response(status, headers, exc_info=None):
        captured["status"], captured["headers"] = int(status.split()[0]), dict(headers)

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        result = WSGIHandler()(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            getattr(result, "close", lambda: None)()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return captured["status"], captured["headers"], body


def test_head_answers_carry_the_get_headers_and_no_body():
    status, _, body = _wsgi(RequestFactory().get("/api/sdk/health").environ)
    head_status, head_headers, head_body = _wsgi(RequestFactory().head("/api/sdk/health").environ)
    assert (status, head_status) == (200, 200)
    assert body
    assert head_body == b""
    assert head_headers["Content-Length"] == str(len(body))


def test_api_answers_are_never_stored_by_shared_caches():
    _, headers, _ = _wsgi(RequestFactory().get("/api/sdk/health").environ)
    assert headers["Cache-Control"] == "no-store"
    _, headers, _ = _wsgi(RequestFactory().get("/api/no-such-route").environ)
    assert headers["Cache-Control"] == "no-store"


def test_a_chunked_body_is_refused_with_411_and_nothing_is_written():
    key = ServerApiKeyFactory(scopes=["server:webhook:write"])
    subscribe(key.tenant, features={"server_api": True, "webhooks": True}, quotas={"webhooks": 5})
    payload = json.dumps({"url": "https://hooks.example.com/in", "events": ["contact.created"]}).encode()
    environ = (
        RequestFactory()
        .post(
            "/api/server/webhooks",
            data=payload,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key.secret}",
            HTTP_TRANSFER_ENCODING="chunked",
        )
        .environ
    )
    environ.pop("CONTENT_LENGTH")
    status, _, body = _wsgi(environ)
    assert status == 411
    assert json.loads(body)["code"] == "LENGTH_REQUIRED"
    assert not WebhookEndpoint.objects.exists()


def test_the_411_answer_is_an_error_envelope_of_the_contract():
    environ = RequestFactory().post("/api/server/webhooks", data=b"{}", content_type="application/json").environ
    environ.pop("CONTENT_LENGTH")
    environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    status, _, body = _wsgi(environ)

    class Answer:
        status_code = status
        content = body
        request = {"REQUEST_METHOD": "POST", "PATH_INFO": "/api/server/webhooks"}

    validate_response(Answer(), "createWebhook")


def test_json_nested_deeper_than_the_parser_allows_is_a_400_naming_the_body(api_client, assert_contract):
    body = '{"name": ' + "[" * 900 + "]" * 900 + "}"
    response = api_client.post("/api/sdk/session", data=body, content_type="application/json")
    answer = assert_contract(response, "createRuntimeSession", status=400)
    assert answer["details"] == ["body: nested more than 512 levels deep"]


def test_brackets_inside_strings_do_not_count_as_nesting():
    from ringnity.api.parsers import nesting_depth_exceeds

    assert not nesting_depth_exceeds(b'{"a": "' + b"[" * 600 + b'"}', 512)
    assert nesting_depth_exceeds(b'{"a": ' + b"[" * 600 + b"]" * 600 + b"}", 512)
