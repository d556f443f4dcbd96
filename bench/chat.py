"""Benchmark: a visitor message POST and the agent conversation list at 1,000 and 100,000 conversations.

One run on PostgreSQL (not a test): a throwaway database next to ``DATABASE_URL``'s, one tenant
seeded with 1,000 conversations (visitors, one message each), gunicorn (1 sync worker,
production settings) on a free loopback port; then it times, over one keep-alive connection,

* ``POST /api/chat/visitor/conversations/{id}/messages`` (a new ``clientMessageId`` each time),
* ``GET /api/agent-sdk/conversations?limit=50`` for a supervisor (whole tenant) and for a plain
  agent (own + department/general queue), first page and a page deep in the cursor chain,

with a second tenant of 100,000 conversations in the same database timed in turn, request by
request (so the load of a shared machine weighs on both sizes alike). It prints p50/p95 of each
and the p95 ratio 100k/1k (goal for the list ≤ 1.5).

    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python bench/chat.py [--requests 300]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import free_port, production_env, throwaway_postgres, wait_ready  # noqa: E402

SMALL, LARGE = 1_000, 100_000
TOKEN_TTL = 3 * 3600


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered)) - 1))]


def _setup_django():
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def seed_tenant() -> dict:
    """The tenant, its agents and tokens, and one visitor with an open conversation (for the POST)."""
    from apps.developer.tests.factories import ServerApiKeyFactory
    from apps.plans.tests.factories import subscribe
    from apps.runtime.tokens import AGENT_SCOPES, VISITOR_SCOPES, TokenKind, issuing_key_context, token_issue
    from apps.tenants.models import Department, StaffRole
    from apps.tenants.tests.factories import StaffFactory, TenantFactory

    tenant = TenantFactory(slug=f"bench-{uuid.uuid4().hex[:6]}")
    subscribe(tenant, features={"chat": True}, quotas={"contacts": "unlimited", "attachment_mb": 10})
    departments = [Department.objects.create(tenant=tenant, name=f"Team {i}") for i in range(4)]
    supervisor = StaffFactory(tenant=tenant, role=StaffRole.SUPERVISOR, username="lead")
    agents = [StaffFactory(tenant=tenant, department=departments[i % 4], username=f"a{i}") for i in range(20)]
    key = ServerApiKeyFactory(tenant=tenant)

    def agent_token(user) -> str:
        return token_issue(
            kind=TokenKind.AGENT,
            tenant=tenant,
            subject=user.public_id,
            scopes=AGENT_SCOPES,
            expires_in=TOKEN_TTL,
            context=issuing_key_context(key),
        ).token

    visitor_token = token_issue(
        kind=TokenKind.VISITOR, tenant=tenant, subject="vis_bench", scopes=VISITOR_SCOPES, expires_in=TOKEN_TTL
    ).token
    return {
        "tenant": tenant,
        "departments": departments,
        "agents": agents,
        "supervisor_token": agent_token(supervisor),
        "agent_token": agent_token(agents[0]),
        "visitor_token": visitor_token,
    }


def grow(ctx: dict, total: int) -> None:
    """Adds conversations (closed mostly, some open; a third assigned) up to ``total`` in the tenant."""
    from django.db import connections
    from django.utils import timezone

    from apps.chat.models import Conversation, ConversationCounter, Message, Visitor

    tenant, agents, departments = ctx["tenant"], ctx["agents"], ctx["departments"]
    counter, _ = ConversationCounter.objects.get_or_create(tenant=tenant)
    start = counter.last_number
    rng = random.Random(start)
    now = timezone.now()
    for chunk in range(start, total, 5000):
        numbers = range(chunk + 1, min(total, chunk + 5000) + 1)
        visitors = Visitor.objects.bulk_create([Visitor(tenant=tenant, subject=f"vis_seed_{n}") for n in numbers])
        conversations = []
        for number, visitor in zip(numbers, visitors, strict=True):
            roll = rng.random()
            conversations.append(
                Conversation(
                    tenant=tenant,
                    number=number,
                    visitor=visitor,
                    status="open" if roll < 0.1 else "closed",
                    assigned_agent=agents[number % len(agents)] if roll < 0.33 else None,
                    department=departments[number % 4] if roll < 0.66 else None,
                    last_message_at=now - timedelta(seconds=rng.randint(0, 90 * 86400)),
                    subject=f"Question {number}",
                )
            )
        Conversation.objects.bulk_create(conversations)
        Message.objects.bulk_create(
            [
                Message(tenant=tenant, conversation=c, sender_type="visitor", sender_visitor=c.visitor, body="Hello")
                for c in conversations
            ]
        )
    ConversationCounter.objects.filter(pk=counter.pk).update(last_number=total)
    with connections["default"].cursor() as cursor:
        cursor.execute("ANALYZE")
    connections.close_all()


class Client:
    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, method: str, url: str, headers: dict, body: dict | None = None) -> tuple[float, dict]:
        payload = json.dumps(body).encode() if body is not None else None
        headers = {**headers, "Content-Type": "application/json"} if payload else headers
        start = time.perf_counter()
        self.conn.request(method, url, body=payload, headers=headers)
        response = self.conn.getresponse()
        raw = response.read()
        elapsed = (time.perf_counter() - start) * 1000
        if response.status >= 300:
            raise SystemExit(f"{method} {url} answered {response.status}: {raw[:300]!r}")
        return elapsed, json.loads(raw)["data"]


def _prepare(client: Client, ctx: dict) -> None:
    """The benchmark visitor's open conversation, and the supervisor's cursor for page 10."""
    visitor = {"X-Ringnity-SDK-Session": ctx["visitor_token"]}
    _, data = client.call("POST", "/api/chat/visitor/conversations", visitor, {})
    ctx["conversation_id"] = data["conversation"]["conversationId"]
    headers = {"X-Ringnity-SDK-Session": ctx["supervisor_token"]}
    cursor = ""
    for _ in range(9):
        _, data = client.call("GET", f"/api/agent-sdk/conversations?limit=50{cursor}", headers)
        cursor = f"&cursor={data['nextCursor']}"
    ctx["page10"] = cursor


def _round(client: Client, ctx: dict, index: int) -> dict[str, float]:
    """One of each timed request for one tenant."""
    visitor = {"X-Ringnity-SDK-Session": ctx["visitor_token"]}
    post_url = f"/api/chat/visitor/conversations/{ctx['conversation_id']}/messages"
    body = {"body": "Is my order on its way?", "clientMessageId": f"bench-{index}"}
    times = {"visitor message POST": client.call("POST", post_url, visitor, body)[0]}
    lists = {
        "list supervisor p1": (ctx["supervisor_token"], ""),
        "list agent p1": (ctx["agent_token"], ""),
        "list supervisor p10": (ctx["supervisor_token"], ctx["page10"]),
    }
    for name, (token, cursor) in lists.items():
        url = f"/api/agent-sdk/conversations?limit=50{cursor}"
        elapsed, data = client.call("GET", url, {"X-Ringnity-SDK-Session": token})
        if len(data["conversations"]) != 50:
            raise SystemExit(f"{name}: {len(data['conversations'])} conversations, expected 50")
        times[name] = elapsed
    return times


def measure(client: Client, tenants: dict[int, dict], requests: int, warmup: int = 20) -> dict:
    """Both tenants in the same time window, request by request in turn, so that the load of a
    shared machine weighs on both sizes alike."""
    for ctx in tenants.values():
        _prepare(client, ctx)
    timings: dict[int, dict[str, list[float]]] = {size: {} for size in tenants}
    for index in range(warmup + requests):
        for size, ctx in tenants.items():
            for name, elapsed in _round(client, ctx, index).items():
                if index >= warmup:
                    timings[size].setdefault(name, []).append(elapsed)
    return timings


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("the chat benchmark runs on PostgreSQL: set DATABASE_URL=postgres://...")

    workdir = Path(tempfile.mkdtemp(prefix="ringnity-bench-chat-"))
    env = production_env(workdir)
    env["DATABASE_URL"], drop = throwaway_postgres(os.environ["DATABASE_URL"])
    os.environ.update(env)
    server = None
    try:
        _setup_django()
        tenants = {SMALL: seed_tenant(), LARGE: seed_tenant()}
        for size, ctx in tenants.items():
            grow(ctx, size)
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
        results = measure(Client(port), tenants, args.requests)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        from django.db import connections

        connections.close_all()
        drop()
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"chat benchmark: PostgreSQL, Redis cache, 1 gunicorn sync worker, {args.requests} timed requests each")
    print(f"  {'':24} {'1k p50':>9} {'1k p95':>9} {'100k p50':>9} {'100k p95':>9} {'p95 ratio':>9}")
    for name in results[SMALL]:
        small, large = results[SMALL][name], results[LARGE][name]
        s50, s95 = percentile(small, 0.5), percentile(small, 0.95)
        l50, l95 = percentile(large, 0.5), percentile(large, 0.95)
        print(f"  {name:24} {s50:7.2f}ms {s95:7.2f}ms {l50:7.2f}ms {l95:7.2f}ms {l95 / s95:8.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
