"""Benchmark 2: which server runs the REST API: gunicorn sync, gunicorn gthread, or ASGI (uvicorn workers).

Each under ``make serve`` (the Procfile's web line; ``WEB_WORKER_CLASS`` picks the class, the
gunicorn config serves ``ringnity.asgi`` under the uvicorn worker), the contacts list at 32 and 128
connections from wrk. The best is the highest throughput with zero errors; ``ringnity/ops/processes.py``
ships it as the default.

    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python bench/servers.py [--seconds 15]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.contacts_list import API_PATH, seed
from bench.harness import Database, Served, load_average, wrk
from ringnity.ops.processes import cores


def candidates() -> dict[str, dict[str, str]]:
    count = cores()
    return {
        "gunicorn sync": {"WEB_WORKER_CLASS": "sync", "WEB_CONCURRENCY": str(2 * count + 1), "WEB_THREADS": "1"},
        "gunicorn gthread": {"WEB_WORKER_CLASS": "gthread", "WEB_CONCURRENCY": str(2 * count), "WEB_THREADS": "4"},
        # Under ASGI each request may run on another thread: persistent connections would pile up.
        "uvicorn (ASGI)": {
            "WEB_WORKER_CLASS": "uvicorn.workers.UvicornWorker",
            "WEB_CONCURRENCY": str(2 * count),
            "DB_CONN_MAX_AGE": "0",
        },
    }


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, nargs="+", default=[32, 128])
    args = parser.parse_args(argv)
    database = Database()
    results: dict[str, dict[int, dict]] = {}
    try:
        tenant, secret = seed(5000)
        database.env["BENCH_TENANT_ID"] = str(tenant.pk)
        requests = [("GET", API_PATH, {"Authorization": f"Bearer {secret}"}, None)]
        print(f"[bench 2] servers; load average {load_average()}", flush=True)
        for name, overrides in candidates().items():
            with Served(database.env, **overrides) as server:
                wrk(server.url, requests, connections=8, seconds=5)  # warm every worker
                results[name] = {}
                for connections in args.connections:
                    load = wrk(server.url, requests, connections=connections, seconds=args.seconds)
                    results[name][connections] = load.row()
                    print(
                        f"  {name:<18} {connections:>4} connections: {load.requests_per_second:7.0f} req/s  "
                        f"p50 {load.latency_ms['50']:8.2f} ms  p99 {load.latency_ms['99']:8.2f} ms  "
                        f"errors {load.errors} {load.error_detail}",
                        flush=True,
                    )
    finally:
        database.close()
    clean = {name: rows for name, rows in results.items() if all(row["errors"] == 0 for row in rows.values())}
    best = max(clean or results, key=lambda name: min(row["rps"] for row in results[name].values()))
    print(f"  best (highest throughput at every connection count, zero errors): {best}", flush=True)
    return {"results": results, "best": best}


if __name__ == "__main__":
    main()
