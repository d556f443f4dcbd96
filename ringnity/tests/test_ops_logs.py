"""Structured logs: JSON lines carrying the request id, from the request and from the tasks it enqueued."""

import json
import logging
import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest

from ringnity.api.middleware import RequestIdLogFilter, request_id_bound
from ringnity.ops.logs import JsonFormatter

ROOT = Path(__file__).resolve().parents[2]


def _formatted(record: logging.LogRecord) -> dict:
    RequestIdLogFilter().filter(record)
    return json.loads(JsonFormatter().format(record))


def test_a_log_line_is_one_json_object_with_the_request_id_and_extras():
    record = logging.LogRecord("ringnity.test", logging.WARNING, __file__, 1, "sent %s", ("it",), None)
    record.route = "api/x"
    with request_id_bound("req-json-1"):
        line = _formatted(record)
    assert line["message"] == "sent it"
    assert line["level"] == "WARNING"
    assert line["logger"] == "ringnity.test"
    assert line["request_id"] == "req-json-1"
    assert line["route"] == "api/x"
    assert line["time"].endswith("Z")


def test_an_exception_is_kept_in_the_line():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    assert "ValueError: boom" in _formatted(record)["exception"]


def test_each_request_logs_one_access_line_under_its_request_id(client, caplog):
    with caplog.at_level(logging.INFO, logger="ringnity.access"):
        response = client.get("/api/health/live", HTTP_X_REQUEST_ID="req-access-7")
    assert response["X-Request-Id"] == "req-access-7"
    [record] = [r for r in caplog.records if r.name == "ringnity.access"]
    line = _formatted(record)
    assert line["request_id"] == "req-access-7"
    assert (line["method"], line["route"], line["status"], line["db_queries"]) == ("GET", "api/health/live", 200, 0)
    assert line["path"] == "/api/health/live"


def test_a_server_error_is_logged_under_the_request_id():
    """django.request logs a 5xx after the middleware returned; the line still names the request."""
    record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "Service Unavailable", (), None)

    class Request:
        request_id = "req-late-5"

    record.request = Request()
    assert _formatted(record)["request_id"] == "req-late-5"


@pytest.mark.worker
def test_a_task_logs_under_the_request_id_of_the_request_that_enqueued_it(redis_available, tmp_path):
    env = {
        **os.environ,
        "REDIS_URL": redis_available,
        "CACHE_KEY_PREFIX": f"logs-test-{uuid.uuid4().hex[:8]}",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "ringnity.settings",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
    }
    env.pop("DATABASE_URL", None)  # the ping task touches only the cache
    queue = f"logs-{uuid.uuid4().hex[:8]}"
    worker = subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", "ringnity", "worker", "-Q", queue, "--pool=solo"),
            *("--loglevel=info", "--without-gossip", "--without-mingle", "--without-heartbeat"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    request_id = f"req-{uuid.uuid4().hex[:12]}"
    sender = (
        "import django; django.setup(); from ringnity.api.middleware import request_id_bound;"
        "from ringnity.celery import ping\n"
        f"with request_id_bound({request_id!r}): ping.apply_async(args=['x'], queue={queue!r})"
    )
    finished = None
    seen = []
    watchdog = threading.Timer(180, worker.terminate)  # the read below ends even if the line never comes
    watchdog.start()
    try:
        subprocess.run([sys.executable, "-c", sender], cwd=ROOT, env=env, check=True, timeout=120)
        for raw in worker.stdout:  # ends when the worker is stopped below, or the line arrives
            seen.append(raw)
            if raw.startswith("{"):
                line = json.loads(raw)
                if line.get("message") == "task finished" and line.get("task") == "ringnity.ping":
                    finished = line
                    break
    finally:
        watchdog.cancel()
        worker.terminate()
        worker.wait(timeout=60)
    assert finished is not None, "".join(seen[-40:])
    assert finished["request_id"] == request_id
    assert finished["state"] == "SUCCESS"
    assert finished["duration_ms"] >= 0
