"""Realtime gateway benchmark: fan-out latency, idle-socket capacity, and the polling it replaces.

Under ``make serve`` (gunicorn for REST, one uvicorn gateway process, Celery, beat) on a throwaway
database, one tenant with one supervisor agent and one visitor conversation:

1. **capacity**: ``--idle`` authenticated agent sockets that only answer pings; the gateway process's
   resident memory before and after gives the memory per idle socket;
2. **fan-out**: ``--sockets`` agent sockets hear the tenant's inbox; the visitor POSTs ``--messages``
   messages over REST at ``--rate`` per second; every socket records, for every ``message.created``,
   receipt time minus the message's ``sentAt`` (its insert, just before the commit): p50/p99, and
   every receipt must arrive once;
3. **polling baseline**: the same freshness by polling needs one ``GET`` of the conversation's messages
   per client per second (``--sockets`` requests/s); wrk measures what the web tier serves at most.

    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python bench/realtime.py \\
        [--sockets 500] [--idle 2000] [--messages 100] [--rate 5] [--no-deflate]
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import statistics
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil
import websockets

from bench.harness import Database, Served, load_average, machine, wrk


def seed() -> tuple[str, str, str]:
    """(tenant slug, agent token, visitor token) of a tenant with realtime and chat."""
    from apps.plans.tests.factories import subscribe
    from apps.runtime.tests.fixtures import runtime_headers
    from apps.runtime.tokens import TokenKind
    from apps.tenants.models import StaffRole
    from apps.tenants.tests.factories import StaffFactory, TenantFactory

    tenant = TenantFactory()
    subscribe(
        tenant,
        features={"chat": True, "server_api": True},
        quotas={"contacts": "unlimited", "realtime_connections": "unlimited"},
    )
    agent = StaffFactory(tenant=tenant, role=StaffRole.SUPERVISOR)
    day = 86400
    agent_token = runtime_headers(tenant, TokenKind.AGENT, subject=agent.public_id, expires_in=day)
    visitor_token = runtime_headers(tenant, TokenKind.VISITOR, subject="vis_bench", expires_in=day)
    return tenant.slug, agent_token["HTTP_X_RINGNITY_SDK_SESSION"], visitor_token["HTTP_X_RINGNITY_SDK_SESSION"]


def post(server: Served, path: str, token: str, body: dict) -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    headers = {"Content-Type": "application/json", "X-Ringnity-SDK-Session": token}
    connection.request("POST", path, json.dumps(body), headers)
    response = connection.getresponse()
    data = json.loads(response.read())
    if response.status not in (200, 201):
        raise SystemExit(f"{path} answered {response.status}: {data}")
    return data["data"]


def gateway_process(server: Served) -> psutil.Process:
    for pid in server.pids():
        process = psutil.Process(pid)
        if "ringnity.asgi:application" in " ".join(process.cmdline()):
            return process
    raise SystemExit("no gateway process in make serve")


class Listener:
    """One agent socket: answers pings, records message.created latencies."""

    def __init__(self, url: str, token: str, deflate: bool) -> None:
        self.url, self.token, self.deflate = url, token, deflate
        self.latencies: list[float] = []
        self.seen: set[str] = set()
        self.duplicates = 0
        self.ready = asyncio.Event()
        self.stop = asyncio.Event()

    async def run(self) -> None:
        compression = "deflate" if self.deflate else None
        async with websockets.connect(self.url, compression=compression, open_timeout=60, max_queue=None) as ws:
            await ws.send(json.dumps({"type": "auth", "token": self.token}))
            reader = asyncio.create_task(self._read(ws))
            await self.stop.wait()
            reader.cancel()

    async def _read(self, ws) -> None:
        async for raw in ws:
            now = time.time()
            frame = json.loads(raw)
            kind = frame["type"]
            if kind == "ready":
                self.ready.set()
            elif kind == "ping":
                await ws.send('{"type": "pong"}')
            elif kind == "message.created":
                message_id = frame["data"]["messageId"]
                if message_id in self.seen:
                    self.duplicates += 1
                self.seen.add(message_id)
                sent = datetime.fromisoformat(frame["data"]["sentAt"].replace("Z", "+00:00")).timestamp()
                self.latencies.append((now - sent) * 1000)


async def open_sockets(url: str, token: str, count: int, deflate: bool) -> tuple[list[Listener], list[asyncio.Task]]:
    listeners = [Listener(url, token, deflate) for _ in range(count)]
    tasks = []
    for start in range(0, count, 100):  # in batches: the gateway authenticates a hundred at a time
        batch = listeners[start : start + 100]
        tasks += [asyncio.create_task(listener.run()) for listener in batch]
        await asyncio.wait_for(asyncio.gather(*(listener.ready.wait() for listener in batch)), 120)
    return listeners, tasks


async def close_sockets(listeners, tasks) -> None:
    for listener in listeners:
        listener.stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 1) if ordered else float("nan")


async def capacity(url: str, token: str, gateway: psutil.Process, idle: int, deflate: bool) -> dict:
    warm, warm_tasks = await open_sockets(url, token, 10, deflate)
    await asyncio.sleep(2)
    before = gateway.memory_info().rss
    listeners, tasks = await open_sockets(url, token, idle, deflate)
    await asyncio.sleep(5)
    after = gateway.memory_info().rss
    alive = sum(1 for task in tasks if not task.done())
    await close_sockets(listeners + warm, tasks + warm_tasks)
    return {"idle sockets held": alive, "KB per idle socket": round((after - before) / idle / 1024, 1)}


async def fan_out(server, url, agent_token, visitor_token, args, gateway: psutil.Process) -> dict:
    listeners, tasks = await open_sockets(url, agent_token, args.sockets, not args.no_deflate)
    conversation = post(server, "/api/chat/visitor/conversations", visitor_token, {"subject": "Bench"})
    path = f"/api/chat/visitor/conversations/{conversation['conversation']['conversationId']}/messages"
    await asyncio.sleep(2)
    cpu_before = sum(gateway.cpu_times()[:2])
    started = time.monotonic()

    def sender():
        for index in range(args.messages):
            due = started + index / args.rate
            time.sleep(max(0.0, due - time.monotonic()))
            post(server, path, visitor_token, {"body": f"bench message {index}"})

    thread = threading.Thread(target=sender)
    thread.start()
    while thread.is_alive():
        await asyncio.sleep(0.1)
    deadline = time.monotonic() + 30
    expected = args.messages
    while time.monotonic() < deadline and any(len(listener.seen) < expected for listener in listeners):
        await asyncio.sleep(0.2)
    elapsed = time.monotonic() - started
    cpu = sum(gateway.cpu_times()[:2]) - cpu_before
    latencies = [value for listener in listeners for value in listener.latencies]
    missing = sum(expected - len(listener.seen) for listener in listeners)
    duplicates = sum(listener.duplicates for listener in listeners)
    await close_sockets(listeners, tasks)
    return {
        "sockets": args.sockets,
        "messages": expected,
        "rate/s": args.rate,
        "receipts": len(latencies),
        "missing": missing,
        "duplicates": duplicates,
        "p50 ms": percentile(latencies, 0.50),
        "p99 ms": percentile(latencies, 0.99),
        "max ms": round(max(latencies), 1) if latencies else None,
        "mean ms": round(statistics.fmean(latencies), 1) if latencies else None,
        "gateway CPU % of one core": round(100 * cpu / elapsed, 1),
        "path": path,
    }


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=500)
    parser.add_argument("--idle", type=int, default=2000)
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--rate", type=float, default=5.0)
    parser.add_argument("--poll-seconds", type=int, default=10)
    parser.add_argument("--no-deflate", action="store_true", help="clients do not negotiate permessage-deflate")
    args = parser.parse_args(argv)
    database = Database()
    results: dict = {"machine": machine(), "load average at start": load_average()}
    try:
        _slug, agent_token, visitor_token = seed()
        with Served(database.env, REALTIME_MAX_CONNECTIONS_PER_IP="100000") as server:
            url = f"ws://127.0.0.1:{server.env['REALTIME_PORT']}/realtime/v1"
            gateway = gateway_process(server)
            results["capacity"] = asyncio.run(capacity(url, agent_token, gateway, args.idle, not args.no_deflate))
            print(json.dumps(results["capacity"]), flush=True)
            fan = asyncio.run(fan_out(server, url, agent_token, visitor_token, args, gateway))
            print(json.dumps(fan), flush=True)
            headers = {"X-Ringnity-SDK-Session": agent_token}
            agent_path = fan.pop("path").replace("/chat/visitor/", "/agent-sdk/") + "?limit=20"
            poll = wrk(server.url, [("GET", agent_path, headers, None)], connections=32, seconds=args.poll_seconds)
            results["fan-out"] = fan
            results["polling"] = {
                "needed requests/s (1 s polling)": args.sockets,
                "web tier max requests/s": round(poll.requests_per_second, 1),
                "share of the web tier": round(args.sockets / poll.requests_per_second, 2),
                "poll p99 ms": poll.latency_ms.get("99"),
                "errors": poll.errors,
            }
        results["load average at end"] = load_average()
    finally:
        database.close()
    print(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
