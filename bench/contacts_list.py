"""Benchmark 1: ``GET /api/server/contacts?limit=50`` against a bare Django view returning the same 50 rows.

One run: a throwaway PostgreSQL database with one tenant of N contacts and a Server API key, the
server under ``make serve`` (``bench.settings`` mounts the bare view), then wrk from a separate
process, the two URLs in turn, ``--rounds`` times each:

* **latency**: one connection, requests back to back: median and p99;
* **throughput**: ``--connections`` (32) connections: requests/s.

Ratios are API / bare (latency goal <= 1.3x) and bare / API's inverse (throughput goal >= 0.77x),
from medians over the rounds.

    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python bench/contacts_list.py [--seconds 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import Database, Served, load_average, throwaway_postgres, wrk

__all__ = ["main", "seed", "throwaway_postgres"]  # throwaway_postgres: bench/webhooks.py still imports it here

API_PATH = "/api/server/contacts?limit=50"
BARE_PATH = "/bench/contacts-values"


def seed(contacts: int, scopes=("server:contacts:read",)) -> tuple:
    """One tenant with ``contacts`` contacts and a Server API key; returns (tenant, secret)."""
    from apps.chat.models import Contact, ContactTag
    from apps.developer.tests.factories import ServerApiKeyFactory
    from apps.plans.tests.factories import subscribe
    from apps.tenants.tests.factories import TenantFactory

    tenant = TenantFactory(slug=f"bench-{uuid.uuid4().hex[:6]}")
    subscribe(tenant, features={"server_api": True}, quotas={"contacts": "unlimited"})
    key = ServerApiKeyFactory(tenant=tenant, scopes=list(scopes))
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
    return tenant, key.secret


def compare(server: Served, secret: str, *, seconds: int, rounds: int, connections: int) -> dict:
    """Alternates API and bare runs; returns medians and ratios."""
    api = [("GET", API_PATH, {"Authorization": f"Bearer {secret}"}, None)]
    bare = [("GET", BARE_PATH, {}, None)]
    for warm in (api, bare):
        wrk(server.url, warm, connections=4, seconds=3)
    runs: dict[str, list] = {"api_1": [], "bare_1": [], "api_n": [], "bare_n": []}
    for _ in range(rounds):
        for name, requests in (("api", api), ("bare", bare)):
            runs[f"{name}_1"].append(wrk(server.url, requests, connections=1, threads=1, seconds=seconds))
            runs[f"{name}_n"].append(wrk(server.url, requests, connections=connections, seconds=seconds))
    errors = sum(load.errors for loads in runs.values() for load in loads)

    def median(name, pick):
        return statistics.median(pick(load) for load in runs[name])

    result = {
        "api_p50": median("api_1", lambda x: x.latency_ms["50"]),
        "bare_p50": median("bare_1", lambda x: x.latency_ms["50"]),
        "api_p99": median("api_1", lambda x: x.latency_ms["99"]),
        "bare_p99": median("bare_1", lambda x: x.latency_ms["99"]),
        "api_rps": median("api_n", lambda x: x.requests_per_second),
        "bare_rps": median("bare_n", lambda x: x.requests_per_second),
        "errors": errors,
    }
    result["latency_ratio"] = result["api_p50"] / result["bare_p50"]
    result["throughput_ratio"] = result["api_rps"] / result["bare_rps"]
    return result


def report(result: dict, connections: int) -> str:
    return "\n".join(
        [
            f"  latency, 1 connection: API p50 {result['api_p50']:.2f} ms (p99 {result['api_p99']:.2f}), "
            f"bare p50 {result['bare_p50']:.2f} ms (p99 {result['bare_p99']:.2f}): "
            f"ratio {result['latency_ratio']:.2f}x (goal <= 1.3x)",
            f"  throughput, {connections} connections: API {result['api_rps']:.0f} req/s, bare "
            f"{result['bare_rps']:.0f} req/s: ratio {result['throughput_ratio']:.2f}x (goal >= 0.77x)",
            f"  errors: {result['errors']}",
        ]
    )


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=5000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args(argv)
    database = Database()
    try:
        tenant, secret = seed(args.contacts)
        database.env["BENCH_TENANT_ID"] = str(tenant.pk)
        print(f"[bench 1] contacts list vs bare view; load average {load_average()}", flush=True)
        with Served(database.env) as server:
            result = compare(server, secret, seconds=args.seconds, rounds=args.rounds, connections=args.connections)
        print(report(result, args.connections), flush=True)
        return result
    finally:
        database.close()


if __name__ == "__main__":
    main()
