"""Benchmark 4: noisy neighbour: tenant A exports reports in a loop; tenant B's list p99 <= 1.5x idle.

Under ``make serve``: tenant A has ``--conversations`` conversations of report data (the
generator, 30 days), tenant B 5,000 contacts. B's contacts list runs at a fixed rate (half of its
measured maximum) twice: idle, then while 2 connections request A's 30-day CSV export back to back
(one export of a tenant runs at a time: the other connection's requests are refused with 429, counted apart).

    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python bench/noisy_neighbour.py [--seconds 20]
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.contacts_list import API_PATH, seed
from bench.harness import Database, Served, load_average, paced, wrk

EXPORT_PATH = "/api/server/reports/export?period=30days&format=csv"


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--conversations", type=int, default=20000)
    args = parser.parse_args(argv)
    database = Database()
    try:
        from django.core.management import call_command

        from apps.developer.tests.factories import ServerApiKeyFactory
        from apps.plans.tests.factories import subscribe
        from apps.tenants.models import Tenant

        neighbour, secret = seed(5000)
        database.env["BENCH_TENANT_ID"] = str(neighbour.pk)
        call_command(
            "generate_report_data",
            tenant="noisy",
            create=True,
            conversations=args.conversations,
            messages_per_conversation=5,
            calls=args.conversations // 4,
            days=30,
            yes_write_fake_data_into="noisy",
            verbosity=0,
        )
        noisy = Tenant.objects.get(slug="noisy")
        subscribe(noisy, features={"server_api": True, "reports_export": True})
        noisy_key = ServerApiKeyFactory(tenant=noisy, scopes=["server:reports:read"])
        listing = [("GET", API_PATH, {"Authorization": f"Bearer {secret}"}, None)]
        export = [("GET", EXPORT_PATH, {"Authorization": f"Bearer {noisy_key.secret}"}, None)]
        print(f"[bench 4] noisy neighbour; load average {load_average()}", flush=True)
        with Served(database.env) as server:
            wrk(server.url, listing, connections=8, seconds=5)
            one_export = wrk(server.url, export, connections=1, threads=1, seconds=5)
            if one_export.errors:
                raise SystemExit(f"the export fails: {one_export.error_detail}")
            rate = wrk(server.url, listing, connections=32, seconds=args.seconds).requests_per_second / 2
            idle = paced(server.url, listing, rate=rate, connections=16, seconds=args.seconds)
            noise: dict = {}
            exporter = threading.Thread(
                target=lambda: noise.update(
                    load=wrk(server.url, export, connections=2, threads=1, seconds=args.seconds + 15)
                )
            )
            exporter.start()
            threading.Event().wait(3)  # the exports are under way before B is measured
            busy = paced(server.url, listing, rate=rate, connections=16, seconds=args.seconds)
            exporter.join()
    finally:
        database.close()
    ratio = busy.latency_ms["99"] / idle.latency_ms["99"]
    print(
        f"  B's list at {rate:.0f}/s offered: idle p99 {idle.latency_ms['99']:.2f} ms, while A exports "
        f"({noise['load'].requests_per_second:.1f} requests/s: {noise['load'].requests - noise['load'].errors} exports "
        f"served, {noise['load'].errors} refused with 429 while its other export ran; one export p50 "
        f"{one_export.latency_ms['50']:.0f} ms) "
        f"p99 {busy.latency_ms['99']:.2f} ms: ratio {ratio:.2f}x (goal <= 1.5x); "
        f"errors {idle.errors + busy.errors}",
        flush=True,
    )
    return {
        "idle": idle.row(),
        "busy": busy.row(),
        "exports": noise["load"].row(),
        "p99_ratio": ratio,
        "exports_refused": noise["load"].errors,  # 429: the tenant's other export was running
        "errors": idle.errors + busy.errors,
    }


if __name__ == "__main__":
    main()
