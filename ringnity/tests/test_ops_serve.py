"""``make serve``: the Procfile, the environment it supplies or refuses, and SIGTERM draining."""

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from honcho.environ import parse_procfile

from ringnity.ops import serve
from ringnity.ops.processes import defaults
from ringnity.testing.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
BASE = {"DATABASE_URL": "postgres://u@127.0.0.1:5432/x", "REDIS_URL": "redis://127.0.0.1:6379/0"}


def test_the_procfile_is_the_production_set():
    processes = parse_procfile((ROOT / "Procfile").read_text()).processes
    assert set(processes) == {"web", "worker", "webhooks", "beat", "realtime"}
    assert processes["web"] == "exec gunicorn --config python:ringnity.ops.gunicorn_conf"
    assert "--queues celery " in processes["worker"]
    assert "--queues webhooks " in processes["webhooks"]
    assert processes["realtime"].startswith("exec uvicorn ringnity.asgi:application ")
    assert all(command.startswith("exec ") for command in processes.values())  # SIGTERM reaches the process


@pytest.mark.parametrize("missing", [["DATABASE_URL"], ["REDIS_URL"], ["DATABASE_URL", "REDIS_URL"]])
def test_it_refuses_to_start_without_database_or_redis_naming_them(missing):
    with pytest.raises(SystemExit) as stopped:
        serve.environment({k: v for k, v in BASE.items() if k not in missing})
    message = str(stopped.value)
    assert all(name in message for name in missing)
    assert all(name not in message for name in BASE if name not in missing)


def test_a_local_try_gets_generated_secrets_kept_across_starts_and_debug_off(tmp_path):
    first, notes = serve.environment({**BASE, "DATA_DIR": str(tmp_path), "DEBUG": "true"})
    second, _ = serve.environment({**BASE, "DATA_DIR": str(tmp_path)})
    assert first["DEBUG"] == "false"
    assert len(first["SECRET_KEY"]) >= 50
    assert first["SECRET_KEY"] == second["SECRET_KEY"]
    assert first["OPS_TOKEN"] == second["OPS_TOKEN"] != first["SECRET_KEY"]
    assert oct((tmp_path / "secret-key").stat().st_mode & 0o777) == "0o600"
    assert any("SECRET_KEY not set" in note for note in notes)
    assert first["SECURE_SSL_REDIRECT"] == "false"  # plain http://127.0.0.1: no HTTPS redirect
    assert first["PROMETHEUS_MULTIPROC_DIR"] == str(tmp_path / "prometheus")


def test_given_values_win_and_https_stays_on_behind_an_https_url(tmp_path):
    env, notes = serve.environment(
        {
            **BASE,
            "DATA_DIR": str(tmp_path),
            "SECRET_KEY": "given",
            "RINGNITY_PUBLIC_URL": "https://api.example.com",
            "WEB_CONCURRENCY": "7",
        }
    )
    assert env["SECRET_KEY"] == "given"
    assert "SECURE_SSL_REDIRECT" not in env
    assert env["WEB_CONCURRENCY"] == "7"
    assert not any("SECRET_KEY" in note for note in notes)


def test_worker_counts_follow_the_core_count():
    one, four = defaults(1), defaults(4)
    assert (int(one["WEB_CONCURRENCY"]), int(four["WEB_CONCURRENCY"])) == (3, 9)
    assert int(four["WEBHOOKS_WORKER_CONCURRENCY"]) == 4 * int(one["WEBHOOKS_WORKER_CONCURRENCY"])
    assert int(four["CELERY_WORKER_CONCURRENCY"]) == 4 * int(one["CELERY_WORKER_CONCURRENCY"])


def test_sigterm_lets_an_in_flight_request_finish(tmp_path):
    """The launcher signals gunicorn's master (not its group): the worker finishes the request, then all exit."""
    port = free_port()
    procfile = tmp_path / "Procfile"
    procfile.write_text((ROOT / "Procfile").read_text().split("\nworker:")[0])  # the real web line only
    env, _ = serve.environment(
        {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "REDIS_URL": os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0",
            "DATA_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "ringnity.tests.drain_site",
            "DRAIN_DIR": str(tmp_path),
            "PORT": str(port),
            "WEB_CONCURRENCY": "1",
            "WEB_THREADS": "2",
        }
    )
    script = (
        "import json, sys; from pathlib import Path; from ringnity.ops import serve;"
        "raise SystemExit(serve.run(Path(sys.argv[1]), json.loads(sys.argv[2])))"
    )
    launcher = subprocess.Popen(
        [sys.executable, "-c", script, str(procfile), json.dumps(env)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(launcher.stdout), daemon=True)
    reader.start()
    result = {}

    def call():
        for _ in range(600):  # until gunicorn listens (bounded: the launcher may have failed)
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                connection.request("GET", "/slow")
                break
            except ConnectionRefusedError:
                if launcher.poll() is not None:
                    return
                threading.Event().wait(0.1)
        response = connection.getresponse()
        result["status"], result["body"] = response.status, response.read()

    client = threading.Thread(target=call)
    client.start()
    try:
        for _ in range(1200):
            if (tmp_path / "entered").exists() or launcher.poll() is not None:
                break
            threading.Event().wait(0.1)
        assert (tmp_path / "entered").exists(), "".join(output)
        launcher.send_signal(signal.SIGTERM)
        for _ in range(600):  # gunicorn's master logs the signal before the request is let go
            if any("Handling signal: term" in line for line in output):
                break
            threading.Event().wait(0.1)
        (tmp_path / "release").write_text("1")
        client.join(timeout=120)
        launcher.wait(timeout=120)
    finally:
        if launcher.poll() is None:
            launcher.kill()
    assert result.get("status") == 200, "".join(output)
    assert json.loads(result["body"])["finished"] is True
    assert any("Handling signal: term" in line for line in output)
    assert launcher.returncode == 143  # honcho's code for a SIGTERM stop
