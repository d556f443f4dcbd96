"""Benchmark: report summary, timeseries and CSV export from rollups, against the same summary from raw tables.

One run on a throwaway PostgreSQL database next to ``DATABASE_URL``:

1. ``generate_report_data`` writes tenant A (``--conversations`` x ``--messages-per-conversation``
   messages, ``--calls`` calls over ``--days`` days, ``--agents`` agents) and a tenant B of the
   same size, then rolls up their closed days;
2. times ``--requests`` rounds of the Server API's 30-day summary, timeseries and CSV export for
   A (in-process Django test client: authentication, plan check, selectors, rendering), and the
   same 30-day summary computed by ``report_build(raw=True)`` (GROUP BY over the raw tables for
   every day) next to ``report_build()`` (rollups + today live);
3. with ``--growth G`` (> 1) adds (G - 1) times the data to A, rolls up again, re-times the
   summary, and prints the p50 growth factor.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/9 \
        .venv/bin/python bench/reports.py --conversations 100000 --messages-per-conversation 10 \
        --calls 50000 --days 90 --growth 5
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import throwaway_postgres  # noqa: E402


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def line(label: str, values: list[float]) -> str:
    return f"{label:<44} p50 {pct(values, 0.5):8.1f} ms   p95 {pct(values, 0.95):8.1f} ms   (n={len(values)})"


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def generate(slug: str, args, seed: int, conversations: int) -> None:
    from django.core.management import call_command

    started = time.perf_counter()
    call_command(
        "generate_report_data",
        "--tenant",
        slug,
        "--create",
        "--conversations",
        str(conversations),
        "--messages-per-conversation",
        str(args.messages_per_conversation),
        "--calls",
        str(args.calls * conversations // max(args.conversations, 1)),
        "--days",
        str(args.days),
        "--agents",
        str(args.agents),
        "--seed",
        str(seed),
        "--yes-write-fake-data-into",  # a throwaway database, run with DEBUG off
        slug,
    )
    print(f"generated {slug}: {conversations:,} conversations in {time.perf_counter() - started:.0f}s", flush=True)


def measure(args, tenant, headers) -> dict[str, list[float]]:
    from django.test import Client

    from apps.reports.periods import period_resolve
    from apps.reports.selectors import report_build

    client = Client()
    query = {"period": "30days"}
    period = period_resolve(tenant=tenant, period="30days")
    runs = {
        "API summary (rollups)": lambda: client.get("/api/server/reports/summary", query, **headers),
        "API timeseries (rollups)": lambda: client.get("/api/server/reports/timeseries", query, **headers),
        "API CSV export (rollups)": lambda: client.get(
            "/api/server/reports/export", {**query, "format": "csv"}, **headers
        ),
        "summary selector (rollups)": lambda: report_build(tenant=tenant, period=period),
        "summary selector (rollups, today uncached)": lambda: report_build(
            tenant=tenant, period=period, cache_today=False
        ),
        "summary selector (raw GROUP BY)": lambda: report_build(tenant=tenant, period=period, raw=True),
    }
    for name, run in runs.items():  # warm-up, and a check that the API answers
        result = run()
        status = getattr(result, "status_code", 200)
        assert status == 200, (name, status, getattr(result, "content", b"")[:300])
    timings: dict[str, list[float]] = {name: [] for name in runs}
    for round_ in range(args.requests):
        for name, run in runs.items():
            if "raw" in name and round_ >= args.raw_requests:
                continue
            timings[name].append(timed(run))
    return timings


def report(timings: dict[str, list[float]]) -> float:
    for name, values in timings.items():
        print(line(name, values))
    stored = pct(timings["summary selector (rollups)"], 0.5)
    raw = pct(timings["summary selector (raw GROUP BY)"], 0.5)
    print(f"raw / rollup summary p50 ratio: {raw / stored:.1f}x")
    return pct(timings["API summary (rollups)"], 0.5)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--messages-per-conversation", type=int, default=10)
    parser.add_argument("--calls", type=int, default=50_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--raw-requests", type=int, default=10, help="rounds of the (slow) raw baseline")
    parser.add_argument("--growth", type=float, default=0, help="multiply tenant A's data by G and re-measure")
    parser.add_argument("--no-second-tenant", action="store_true")
    args = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("needs DATABASE_URL=postgres://... (a throwaway database is created next to it)")
    url, drop = throwaway_postgres(os.environ["DATABASE_URL"])
    os.environ.update(
        {
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "ringnity.settings",
            "DEBUG": "false",
            "SECRET_KEY": "bench-" + uuid.uuid4().hex,
            "REDIS_URL": os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0",
            "CACHE_KEY_PREFIX": f"bench-{uuid.uuid4().hex[:8]}",
            "ALLOWED_HOSTS": "testserver",
            "SECURE_SSL_REDIRECT": "false",
            "LOG_LEVEL": "WARNING",
        }
    )
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        from apps.developer.tests.factories import ServerApiKeyFactory, server_key_headers
        from apps.plans.tests.factories import subscribe
        from apps.tenants.models import Tenant

        per = args.conversations * args.messages_per_conversation
        print(
            f"sizes: {per:,} messages, {args.conversations:,} conversations, {args.calls:,} calls, "
            f"{args.days} days, {args.agents} agents per tenant",
            flush=True,
        )
        generate("bench-a", args, seed=1, conversations=args.conversations)
        if not args.no_second_tenant:
            generate("bench-b", args, seed=2, conversations=args.conversations)
        tenant = Tenant.objects.get(slug="bench-a")
        subscribe(tenant, features={"server_api": True, "reports_export": True})
        headers = server_key_headers(ServerApiKeyFactory(tenant=tenant, scopes=["server:reports:read"]))
        base = report(measure(args, tenant, headers))
        if args.growth > 1:
            extra = int(args.conversations * (args.growth - 1))
            generate("bench-a", args, seed=3, conversations=extra)
            print(f"after growth to {per * args.growth:,.0f} messages in tenant A:")
            grown = report(measure(args, tenant, headers))
            print(f"API summary p50 growth {per:,} -> {per * args.growth:,.0f} messages: {grown / base:.2f}x")
    finally:
        from django.db import connections

        connections.close_all()
        drop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
