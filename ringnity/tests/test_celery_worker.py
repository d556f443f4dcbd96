"""A real Celery worker consumes from the Redis broker that the settings configure."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.worker
def test_worker_runs_a_task_sent_through_the_broker(redis_available, tmp_path):
    env = {
        **os.environ,
        "REDIS_URL": redis_available,
        "CACHE_KEY_PREFIX": f"worker-test-{uuid.uuid4().hex[:8]}",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "ringnity.settings",
    }
    env.pop("DATABASE_URL", None)  # the ping task touches only the cache
    queue = f"test-{uuid.uuid4().hex[:8]}"
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "ringnity",
            "worker",
            "-Q",
            queue,
            "--pool=solo",
            "--concurrency=1",
            "--loglevel=warning",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    token = uuid.uuid4().hex
    try:
        sender = (
            "import django; django.setup();"
            f"from ringnity.celery import ping; ping.apply_async(args=[{token!r}], queue={queue!r})"
        )
        subprocess.run([sys.executable, "-c", sender], cwd=ROOT, env=env, check=True, timeout=60)
        reader = (
            "import django; django.setup(); from django.core.cache import cache;"
            f"print(cache.get('celery-ping:{token}'))"
        )
        deadline = time.monotonic() + 60
        seen = None
        while time.monotonic() < deadline and seen != "pong":
            seen = subprocess.run(
                [sys.executable, "-c", reader], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
            ).stdout.strip()
            if seen != "pong":
                time.sleep(0.5)
        assert seen == "pong"
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
