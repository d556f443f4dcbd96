"""Benchmark (not a test): webhook deliveries through one Celery worker, next to a no-op task's rate.

One run on PostgreSQL + Redis: a throwaway database next to ``DATABASE_URL``'s, one tenant with
``E`` endpoints (``--endpoints``, 5 by default) on a loopback sink (a threaded ``http.server``
answering 200), and one worker process consuming the ``webhooks`` queue: ``--pool solo`` by default
(one task at a time, the plainest comparison), or ``--pool prefork --concurrency N`` as the README
runs the webhooks worker. (The ``threads`` pool is no good here: with the Redis broker and late acks
its consumer is not woken when a task finishes, so it stalls once every thread holds a task.)
An event's deliveries go out as one task (``apps.webhooks.tasks.enqueue``), sent in parallel. Then:

1. *no-op rate*: ``E x N`` no-op tasks on the same queue and worker, then a marker task; tasks/s
   from the first enqueue to the marker;
2. *delivery rate*: ``N`` events emitted in one transaction (``E x N`` deliveries enqueued at
   commit); deliveries/s from the commit to the sink's last receipt (every attempt signed,
   claimed under the row lock, logged);
3. *latency*: ``L`` events emitted one by one at a steady rate below capacity; enqueue (commit)
   to the sink's receipt, p50/p99 over the ``E x L`` deliveries.

    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python bench/webhooks.py [--events 200]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ringnity.celery import app as celery_app  # noqa: E402

ENDPOINTS = 5
QUEUE = "webhooks"


@celery_app.task(name="bench.noop", ignore_result=True)
def noop() -> None:
    """The yardstick: a task that does nothing (acks late, like the delivery task)."""
    return None


@celery_app.task(name="bench.marker", ignore_result=True)
def marker(key: str) -> None:
    """Runs after the tasks queued before it (FIFO; with prefork, at most ``concurrency`` still finishing)."""
    redis.Redis.from_url(os.environ["REDIS_URL"]).set(key, repr(time.time()), ex=3600)


class Sink:
    """Loopback receiver: 200 to every POST, records the receipt time per event id."""

    def __init__(self):
        self.received: list[tuple[float, str]] = []
        self.lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                at = time.time()
                with sink.lock:
                    sink.received.append((at, json.loads(body)["id"]))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                return

        class Server(ThreadingHTTPServer):
            request_queue_size = 1024  # the default listen backlog (5) drops connects under 16 senders
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def wait_for(self, count: int, timeout: float = 600) -> list[tuple[float, str]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.01)
        raise SystemExit(f"the sink got {len(self.received)} of {count} deliveries")

    def reset(self) -> None:
        with self.lock:
            self.received.clear()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered)) - 1))]


def seed(sink_url: str, endpoints: int = ENDPOINTS):
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from apps.developer.tests.factories import ServerApiKeyFactory
    from apps.plans.tests.factories import subscribe
    from apps.webhooks import services

    tenant = ServerApiKeyFactory(scopes=["server:health"]).tenant
    subscribe(tenant, features={"server_api": True, "webhooks": True}, quotas={"webhooks": "unlimited"})
    for _ in range(endpoints):
        services.endpoint_create(tenant=tenant, url=sink_url, events=["contact.created"])
    return tenant


def emit(tenant, count: int) -> float:
    """``count`` events in one transaction; the commit time (taken by the first on-commit callback, before
    the tasks are enqueued and the event log's own after-commit work)."""
    from django.db import transaction

    from apps.webhooks.events import event_emit

    committed = []
    with transaction.atomic():
        transaction.on_commit(lambda: committed.append(time.time()))
        for i in range(count):
            event_emit(tenant=tenant, event_type="contact.created", payload={"id": f"con_{i}", "name": f"C {i}"})
    return committed[0]


def start_worker(env: dict, pool: str, concurrency: int) -> subprocess.Popen:
    command = [sys.executable, "-m", "celery", "-A", "ringnity", "worker", "-Q", QUEUE, f"--pool={pool}"]
    command += [f"--concurrency={concurrency}"]
    command += ["--include", "bench.webhooks", "--loglevel=warning", "--without-gossip", "--without-mingle"]
    command += ["--without-heartbeat"]
    return subprocess.Popen(command, cwd=ROOT, env=env)


def noop_rate(count: int) -> float:
    key = f"bench:webhooks:marker:{uuid.uuid4().hex}"
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    started = time.time()
    for _ in range(count):
        noop.apply_async(queue=QUEUE)
    marker.apply_async(args=[key], queue=QUEUE)
    deadline = time.monotonic() + 600
    while (done := client.get(key)) is None:
        if time.monotonic() > deadline:
            raise SystemExit("the no-op tasks did not finish")
        time.sleep(0.01)
    return count / (float(done) - started)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200, help="events for the rate runs (x5 deliveries)")
    parser.add_argument("--latency-events", type=int, default=100, help="events for the latency run (x5)")
    parser.add_argument("--latency-rate", type=float, default=10.0, help="events per second in the latency run")
    parser.add_argument("--pool", default="solo", help="the worker's pool: solo or prefork")
    parser.add_argument("--concurrency", type=int, default=1, help="processes of the prefork pool")
    parser.add_argument("--endpoints", type=int, default=ENDPOINTS, help="endpoints subscribed to every event")
    args = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        raise SystemExit("set DATABASE_URL (PostgreSQL) and REDIS_URL")

    from bench.contacts_list import throwaway_postgres
    from bench.harness import load_average, machine

    started_load = load_average()

    url, drop = throwaway_postgres(os.environ["DATABASE_URL"])
    data_dir = tempfile.mkdtemp(prefix="ringnity-bench-")
    os.environ.update(
        {
            "DATABASE_URL": url,
            "DEBUG": "true",
            "DATA_DIR": data_dir,
            "CACHE_KEY_PREFIX": f"bench-{uuid.uuid4().hex[:8]}",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "WEBHOOKS_ALLOW_LOOPBACK": "true",
            "LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "ringnity.settings",
        }
    )
    sink = Sink()
    worker = None
    try:
        tenant = seed(sink.url, args.endpoints)
        from django.db import connections

        connections.close_all()
        if args.pool == "solo":
            args.concurrency = 1
        worker = start_worker(dict(os.environ), args.pool, args.concurrency)
        emit(tenant, 10)  # warm-up: worker start, connections, imports
        sink.wait_for(10 * args.endpoints, timeout=120)
        noop_rate(200)

        deliveries = args.events * args.endpoints
        noop_per_s = statistics.median(noop_rate(deliveries) for _ in range(3))

        rates = []
        for _ in range(3):
            sink.reset()
            committed = emit(tenant, args.events)
            last = max(at for at, _ in sink.wait_for(deliveries))
            rates.append(deliveries / (last - committed))
        delivery_per_s = statistics.median(rates)

        sink.reset()
        committed_at: dict[str, float] = {}
        from apps.webhooks.models import WebhookEvent

        interval = 1 / args.latency_rate
        for _ in range(args.latency_events):
            committed = emit(tenant, 1)
            event = WebhookEvent.objects.order_by("-id").values_list("public_id", flat=True).first()
            committed_at[event] = committed
            time.sleep(interval)
        received = sink.wait_for(args.latency_events * args.endpoints)
        latencies = [(at - committed_at[event]) * 1000 for at, event in received if event in committed_at]

        print(
            f"webhook deliveries through one worker process (--pool={args.pool} --concurrency={args.concurrency}), "
            f"{args.endpoints} endpoints on a loopback sink; {machine()}, load average {started_load} -> "
            f"{load_average()}"
        )
        print(f"  no-op task rate          {noop_per_s:8.0f} tasks/s   ({deliveries} tasks, median of 3)")
        print(f"  delivery rate            {delivery_per_s:8.0f} deliveries/s ({deliveries} deliveries, median of 3)")
        from apps.webhooks.models import WebhookAttempt

        failed = WebhookAttempt.objects.exclude(status="delivered").count()
        durations = list(WebhookAttempt.objects.values_list("duration_ms", flat=True))
        print(f"  failed attempts          {failed:8d}")
        print(
            f"  HTTP part of an attempt  p50 {percentile(durations, 0.5):6.1f} ms   "
            f"p99 {percentile(durations, 0.99):6.1f} ms"
        )
        print(f"  ratio deliveries/no-op   {delivery_per_s / noop_per_s:8.2f}   (goal >= 0.5)")
        print(
            f"  enqueue->delivery        p50 {percentile(latencies, 0.5):6.1f} ms   "
            f"p99 {percentile(latencies, 0.99):6.1f} ms   ({len(latencies)} deliveries at "
            f"{args.latency_rate:g} events/s)"
        )
        return 0
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)
        from django.db import connections

        connections.close_all()
        drop()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
