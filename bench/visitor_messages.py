"""Benchmark 3: visitor message POST at half the GET maximum rate: p99 <= 3x the GET p99.

Under ``make serve`` (workers and beat running, so each message's events are really delivered
to nobody and queued for nobody: no endpoint subscribes), 64 visitors each with an open
conversation (anonymous starts over HTTP). First the contacts list at 32 connections gives the GET
maximum rate; then, at half that rate each: the contacts list GET, and visitor messages POSTed
round-robin over the 64 conversations. Both p99s are measured at the same offered rate.

    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python bench/visitor_messages.py [--seconds 20]
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.contacts_list import API_PATH, seed
from bench.harness import Database, Served, load_average, paced, wrk

VISITORS = 64


def start_conversations(server: Served, slug: str) -> list[tuple[str, str]]:
    """(chat session token, conversation id) of ``VISITORS`` anonymous visitors of tenant ``slug``."""
    started = []
    for index in range(VISITORS):
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        body = json.dumps({"subject": f"Bench {index}", "visitor": {"name": f"Visitor {index}"}})
        headers = {"Content-Type": "application/json", "X-Ringnity-Tenant": slug}
        connection.request("POST", "/api/chat/visitor/conversations", body, headers)
        response = connection.getresponse()
        data = json.loads(response.read())
        if response.status not in (200, 201):
            raise SystemExit(f"conversation start answered {response.status}: {data}")
        started.append((data["data"]["sessionToken"], data["data"]["conversation"]["conversationId"]))
    return started


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20)
    args = parser.parse_args(argv)
    database = Database()
    try:
        tenant, secret = seed(5000)
        from apps.plans.tests.factories import subscribe

        subscribe(tenant, features={"server_api": True, "chat": True}, quotas={"contacts": "unlimited"})
        database.env["BENCH_TENANT_ID"] = str(tenant.pk)
        get = [("GET", API_PATH, {"Authorization": f"Bearer {secret}"}, None)]
        print(f"[bench 3] visitor message POST vs list GET; load average {load_average()}", flush=True)
        with Served(database.env, CHAT_ANONYMOUS_STARTS_PER_IP="100000") as server:
            posts = [
                (
                    "POST",
                    f"/api/chat/visitor/conversations/{conversation}/messages",
                    {"Content-Type": "application/json", "X-Ringnity-Chat-Session": token},
                    json.dumps({"body": "Hello, is anyone there?"}),
                )
                for token, conversation in start_conversations(server, tenant.slug)
            ]
            wrk(server.url, get, connections=8, seconds=5)
            maximum = wrk(server.url, get, connections=32, seconds=args.seconds)
            rate = maximum.requests_per_second / 2
            get_half = paced(server.url, get, rate=rate, connections=16, seconds=args.seconds)
            post_half = paced(server.url, posts, rate=rate, connections=16, seconds=args.seconds)
    finally:
        database.close()
    ratio = post_half.latency_ms["99"] / get_half.latency_ms["99"]
    print(
        f"  GET max {maximum.requests_per_second:.0f} req/s; at half ({rate:.0f}/s offered): "
        f"GET {get_half.requests_per_second:.0f} req/s p99 {get_half.latency_ms['99']:.2f} ms, "
        f"POST {post_half.requests_per_second:.0f} req/s p99 {post_half.latency_ms['99']:.2f} ms: "
        f"ratio {ratio:.2f}x (goal <= 3x); errors {get_half.errors + post_half.errors}",
        flush=True,
    )
    return {
        "get_max": maximum.row(),
        "get_half": get_half.row(),
        "post_half": post_half.row(),
        "p99_ratio": ratio,
        "errors": get_half.errors + post_half.errors + maximum.errors,
    }


if __name__ == "__main__":
    main()
