"""Benchmark 6: soak: ``--minutes`` (10) at half the maximum rate; memory flat, no connection growth, no errors.

Under ``make serve``: the contacts list and visitor-free health reads at half the measured maximum
of the list, while every process of the set (gunicorn master and workers, both Celery workers and
their pool, beat, the launcher) is sampled every 10 s for its resident memory, and PostgreSQL for
the connections to the benchmark's database. Flat means: each process's mean over the last minute
within +-10 % of its mean over the first minute after warm-up; connections at the end no more than
at the start.

    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python bench/soak.py [--minutes 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.contacts_list import API_PATH, seed
from bench.harness import Database, Served, load_average, paced, wrk

SAMPLE_SECONDS = 10


def _connections(database_name: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [database_name])
        return cursor.fetchone()[0]


def _sample(server: Served) -> dict[str, int]:
    """Resident memory per process, named by its role and pid."""
    import psutil

    memory = {}
    for pid in server.pids():
        try:
            process = psutil.Process(pid)
            name = " ".join(process.cmdline()[1:4])[:60] or process.name()
            memory[f"{pid} {name}"] = process.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return memory


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    args = parser.parse_args(argv)
    database = Database()
    try:
        from django.db import connection

        tenant, secret = seed(5000)
        database.env["BENCH_TENANT_ID"] = str(tenant.pk)
        name = connection.settings_dict["NAME"]
        listing = [("GET", API_PATH, {"Authorization": f"Bearer {secret}"}, None)]
        print(f"[bench 6] soak {args.minutes:g} min; load average {load_average()}", flush=True)
        with Served(database.env) as server:
            wrk(server.url, listing, connections=8, seconds=5)
            rate = wrk(server.url, listing, connections=32, seconds=15).requests_per_second / 2
            samples: list[tuple[float, dict, int]] = []
            done = threading.Event()

            def sampler():
                while not done.is_set():
                    samples.append((time.monotonic(), _sample(server), _connections(name)))
                    done.wait(SAMPLE_SECONDS)

            watcher = threading.Thread(target=sampler)
            watcher.start()
            started = time.monotonic()
            load = paced(server.url, listing, rate=rate, connections=16, seconds=int(args.minutes * 60))
            done.set()
            watcher.join()
    finally:
        database.close()
    first = [s for s in samples if 60 <= s[0] - started < 120] or samples[: len(samples) // 2]
    last = [s for s in samples if s[0] - started >= args.minutes * 60 - 60] or samples[len(samples) // 2 :]
    growth = {}
    for process in first[0][1]:
        before = [s[1][process] for s in first if process in s[1]]
        after = [s[1][process] for s in last if process in s[1]]
        if before and after:
            growth[process] = statistics.fmean(after) / statistics.fmean(before) - 1
    worst = max(growth.items(), key=lambda item: abs(item[1]))
    connections_start, connections_end = first[0][2], last[-1][2]
    flat = all(abs(change) <= 0.10 for change in growth.values())
    print(
        f"  {load.requests:,} requests at {load.requests_per_second:.0f} req/s ({rate:.0f}/s offered), "
        f"errors {load.errors}; memory of {len(growth)} processes flat: {flat} (largest change "
        f"{worst[1] * 100:+.1f} % in {worst[0]}); database connections {connections_start} -> {connections_end}",
        flush=True,
    )
    return {
        "load": load.row(),
        "memory_flat": flat,
        "largest_memory_change": round(worst[1] * 100, 1),
        "connections": [connections_start, connections_end],
        "errors": load.errors,
    }


if __name__ == "__main__":
    main()
