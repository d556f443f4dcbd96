"""Parallel repeats of one Idempotency-Key (issue 22): ten at once against a real gunicorn on PostgreSQL make
one row and get one answer; a repeat waits for the first request's transaction, and is refused with 409
``CONFLICT`` + ``Retry-After`` when the first runs past the wait."""

import contextlib
import http.client
import json
import threading

import pytest
from django.db import connection

from apps.idempotency import services
from apps.idempotency.models import IdempotencyRecord
from apps.webhooks.models import WebhookEndpoint
from apps.webhooks.tests.factories import webhook_headers, webhook_tenant
from ringnity.api.errors import ApiError
from ringnity.testing.ci import require_postgresql
from ringnity.testing.concurrency import run_parallel
from ringnity.testing.servers import web_process

pytestmark = pytest.mark.django_db(transaction=True)
BODY = {"url": "https://hooks.example.com/in", "events": ["contact.created"], "name": "CRM"}


def _post(base_url: str, headers: dict, key: str) -> tuple[int, dict, dict]:
    host, port = base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    connection.request(
        "POST",
        "/api/server/webhooks",
        body=json.dumps(BODY),
        headers={
            "Authorization": headers["HTTP_AUTHORIZATION"],
            "Content-Type": "application/json",
            "Idempotency-Key": key,
        },
    )
    response = connection.getresponse()
    return response.status, dict(response.getheaders()), json.loads(response.read())


def test_ten_parallel_repeats_through_gunicorn_make_one_row_and_one_answer():
    tenant = webhook_tenant()
    headers = webhook_headers(tenant)
    # One gthread worker with ten threads: the ten requests run at once in one process.
    with web_process(GUNICORN_CMD_ARGS="--worker-class gthread --threads 10") as base_url:
        run = run_parallel(lambda _i: _post(base_url, headers, "order-42"), 10)
    assert run.errors == []
    assert run.refused == []
    statuses = [status for status, _headers, _body in run.results]
    assert statuses == [201] * 10
    bodies = {json.dumps(body, sort_keys=True) for _status, _headers, body in run.results}
    assert len(bodies) == 1  # the same id and secret for all ten
    replayed = [headers.get("Idempotent-Replayed") for _status, headers, _body in run.results]
    assert (replayed.count("true"), replayed.count(None)) == (9, 1)
    assert WebhookEndpoint.objects.for_tenant(tenant).count() == 1
    assert IdempotencyRecord.objects.for_tenant(tenant).count() == 1


def _claim(tenant, run, key="k"):
    return services.idempotent_run(
        tenant=tenant, credential="server_key:x", method="POST", path="/p", key=key, fingerprint="f", run=run
    )


def _thread(target) -> threading.Thread:
    """A thread with its own database connection, closed when it ends."""

    def body():
        try:
            target()
        finally:
            connection.close()

    return threading.Thread(target=body)


class _Answer:
    status_code = 201
    headers: dict = {}

    def __init__(self, data):
        self.data = data


@contextlib.contextmanager
def _first_request_running(tenant):
    """A first request that has claimed key "k" (uncommitted) and runs until the block ends."""
    running, release = threading.Event(), threading.Event()

    def held():
        running.set()
        release.wait(30)
        return _Answer({"n": 1})

    thread = _thread(lambda: _claim(tenant, held))
    thread.start()
    running.wait(30)
    try:
        yield
    finally:
        release.set()
        thread.join(timeout=60)


def test_a_repeat_waits_for_the_first_requests_transaction_and_replays_its_answer():
    require_postgresql()
    tenant = webhook_tenant()
    results = {}
    repeat = _thread(lambda: results.setdefault("repeat", _claim(tenant, lambda: _Answer({"n": 2}))))
    with _first_request_running(tenant):
        repeat.start()
        repeat.join(timeout=1)
        assert repeat.is_alive()  # held by the first request's uncommitted row
    repeat.join(timeout=60)
    answer, replay = results["repeat"]
    assert answer is None
    assert services.stored_answer(replay) == ({"n": 1}, {})


def test_a_repeat_is_refused_with_409_when_the_first_runs_past_the_wait(monkeypatch):
    require_postgresql()
    monkeypatch.setattr(services, "WAIT_SECONDS", 1)
    tenant = webhook_tenant()
    with _first_request_running(tenant), pytest.raises(ApiError) as refused:
        _claim(tenant, lambda: _Answer({"n": 2}))
    error = refused.value
    assert (error.status, error.code, error.headers) == (409, "CONFLICT", {"Retry-After": "1"})
    assert IdempotencyRecord.objects.for_tenant(tenant).count() == 1
