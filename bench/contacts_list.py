"""Benchmark: ``GET /api/server/contacts?limit=50`` against a bare Django view returning the same 50 rows.

One run: migrate a throwaway database, seed one tenant with N contacts and a Server API key,
start gunicorn (1 sync worker, production settings + the bare view) on a free loopback port,
then time both URLs alternately over one keep-alive connection and print the medians and ratio.

    .venv/bin/python bench/contacts_list.py [--contacts 5000] [--requests 400] [--postgres]

Default database: a SQLite file in a temporary directory. ``--postgres`` creates a throwaway
database next to the one in ``DATABASE_URL`` and drops it afterwards. The cache is Redis, as in
production (``REDIS_URL``, default ``redis://127.0.0.1:6379/0``, own key prefix). Production
settings redirect to HTTPS; the benchmark speaks plain HTTP on loopback, so it turns that off.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def throwaway_postgres(url: str) -> tuple[str, callable]:
    import psycopg

    parts = urlsplit(url)
    name = f"ringnity_bench_{uuid.uuid4().hex[:8]}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return urlunsplit(parts._replace(path=f"/{name}")), drop


def seed(contacts: int) -> tuple[int, str]:
    """Migrates and seeds; returns (tenant id, Server API secret)."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0, interactive=False)
    from apps.chat.models import Contact, ContactTag
    from apps.developer.tests.factories import ServerApiKeyFactory
    from apps.plans.tests.factories import subscribe
    from apps.tenants.tests.factories import TenantFactory

    tenant = TenantFactory(slug=f"bench-{uuid.uuid4().hex[:6]}")
    subscribe(tenant, features={"server_api": True}, quotas={"contacts": "unlimited"})
    key = ServerApiKeyFactory(tenant=tenant, scopes=["server:contacts:read"])
    rows = [
        Contact(
            tenant=tenant,
            external_id=f"crm-{i}",
            name=f"Customer {i}",
            phone=f"+1415{i:07d}",
            phone_normalized=f"+1415{i:07d}",
            email=f"customer{i}@example.com",
            email_normalized=f"customer{i}@example.com",
            company=f"Company {i % 50}",
            tags=["vip"] if i % 10 == 0 else ["lead"],
            notes="Seeded by the benchmark.",
        )
        for i in range(contacts)
    ]
    Contact.objects.bulk_create(rows, batch_size=1000)
    ContactTag.objects.bulk_create(
        [ContactTag(tenant=tenant, contact=c, tag=c.tags[0].lower()) for c in Contact.objects.filter(tenant=tenant)],
        batch_size=1000,
    )
    connections.close_all()
    return tenant.pk, key.secret


def production_env(workdir: Path | None = None) -> dict:
    """The environment of a production process on loopback: DEBUG off, plain HTTP, quiet logs."""
    workdir = workdir or Path(tempfile.mkdtemp(prefix="ringnity-bench-"))
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "false",
        "SECRET_KEY": "bench-" + uuid.uuid4().hex,
        "DATA_DIR": str(workdir),
        "CACHE_KEY_PREFIX": f"bench-{uuid.uuid4().hex[:8]}",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "SECURE_SSL_REDIRECT": "false",
        "REDIS_URL": os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0",
    }


def wait_ready(port: int, server: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn exited during start-up")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/sdk/health")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not become ready")


def measure(port: int, secret: str, requests: int, warmup: int = 30) -> dict[str, list[float]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    targets = {
        "api": ("/api/server/contacts?limit=50", {"Authorization": f"Bearer {secret}"}),
        "bare": ("/bench/contacts-values", {}),
    }
    timings: dict[str, list[float]] = {name: [] for name in targets}
    for index in range(warmup + requests):
        for name, (url, headers) in targets.items():
            start = time.perf_counter()
            conn.request("GET", url, headers=headers)
            response = conn.getresponse()
            body = response.read()
            elapsed = time.perf_counter() - start
            if response.status != 200:
                raise SystemExit(f"{url} answered {response.status}: {body[:300]!r}")
            if index == 0:
                count = len(json.loads(body).get("data", json.loads(body)).get("contacts", []))
                if count != 50:
                    raise SystemExit(f"{url} returned {count} contacts, expected 50")
            if index >= warmup:
                timings[name].append(elapsed * 1000)
    conn.close()
    return timings


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"median {statistics.median(values):6.2f} ms  mean {statistics.fmean(values):6.2f} ms  p95 {p95:6.2f} ms"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--postgres", action="store_true", help="use a throwaway database on DATABASE_URL's server")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="ringnity-bench-"))
    cleanup = []
    env = production_env(workdir)
    env["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    if args.postgres:
        if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
            raise SystemExit("--postgres needs DATABASE_URL=postgres://...")
        env["DATABASE_URL"], drop = throwaway_postgres(os.environ["DATABASE_URL"])
        cleanup.append(drop)
    os.environ.update(env)
    server = None
    try:
        tenant_id, secret = seed(args.contacts)
        env["BENCH_TENANT_ID"] = str(tenant_id)
        port = free_port()
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "ringnity.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        wait_ready(port, server)
        timings = measure(port, secret, args.requests)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        for step in cleanup:
            step()
        shutil.rmtree(workdir, ignore_errors=True)

    database = "PostgreSQL" if args.postgres else "SQLite"
    cache = "Redis" if os.environ.get("REDIS_URL") else "locmem"
    api, bare = statistics.median(timings["api"]), statistics.median(timings["bare"])
    print(
        f"contacts list benchmark: {args.contacts} contacts, {args.requests} requests each, {database}, {cache} cache"
    )
    print(f"  GET /api/server/contacts?limit=50   {summary(timings['api'])}")
    print(f"  bare Django view, .values()[:50]    {summary(timings['bare'])}")
    print(f"  ratio (median API / median bare)    {api / bare:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
