"""Realistic report volumes for one tenant, written with PostgreSQL COPY (PostgreSQL only).

Shape (seeded, so two runs with one seed write the same data): conversations spread over the
last ``days`` local days (business hours weighted, none in the future), one visitor each,
90 % assigned to one of ``agents`` agents; status by age (older ones mostly closed/resolved);
``messages_per_conversation`` messages alternating visitor/agent, the first agent reply after
a log-normal first-response time; calls on random conversations (80 % inbound; answered 70 %,
missed 20 %, failed 5 %, ended unanswered 5 %); a rating on 30 % of closed conversations.

Rows carry explicit primary keys reserved from each table's sequence (``nextval`` over
``generate_series``), so messages can point at conversations written in the same batch without
reading them back.
"""

from __future__ import annotations

import math
import random
import secrets
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone
from psycopg.types.json import Jsonb

from apps.calls.models import CallSession
from apps.chat.models import Conversation, Message, Visitor
from apps.reports.models import ConversationRating
from apps.reports.periods import day_start, local_today, tenant_zone
from apps.tenants.models import StaffRole, User

BATCH_CONVERSATIONS = 5000


def _pid(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(10)}"


class TableWriter:
    """Writes dict rows of one model with COPY; ids are reserved first (``reserve_ids``)."""

    def __init__(self, model):
        self.model = model
        self.fields = list(model._meta.concrete_fields)

    def reserve_ids(self, n: int) -> list[int]:
        if n == 0:
            return []
        table = self.model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, n])
            return [row[0] for row in cursor.fetchall()]

    def _value(self, field, row):
        value = row[field.attname] if field.attname in row else field.get_default()
        if field.get_internal_type() == "JSONField":
            return Jsonb(value)
        return value

    def write(self, rows: list[dict]) -> list:
        if not rows:
            return []
        columns = ", ".join(f'"{f.column}"' for f in self.fields)
        with (
            connection.cursor() as cursor,
            cursor.copy(f'COPY "{self.model._meta.db_table}" ({columns}) FROM STDIN') as copy,
        ):
            for row in rows:
                copy.write_row([self._value(f, row) for f in self.fields])
        return [row["id"] for row in rows]


def ensure_agents(tenant, count: int) -> list[int]:
    agents = list(User.objects.filter(tenant=tenant, role=StaffRole.AGENT).order_by("id").values_list("id", flat=True))
    for n in range(len(agents), count):
        user = User.objects.create(
            tenant=tenant, username=f"gen-agent-{n + 1}", name=f"Agent {n + 1}", role=StaffRole.AGENT
        )
        agents.append(user.pk)
    return agents[:count]


def _moment(rng: random.Random, day, zone, now: datetime) -> datetime:
    hour = rng.choice([8, 9, 9, 10, 10, 11, 11, 12, 13, 14, 14, 15, 15, 16, 17, 18, 19, 21, 23])
    moment = day_start(day, zone) + timedelta(hours=hour, seconds=rng.randrange(3600))
    return min(moment, now - timedelta(minutes=5))


def _lognormal(rng: random.Random, median: float, sigma: float = 1.0) -> int:
    return max(1, int(rng.lognormvariate(math.log(median), sigma)))


def generate(
    *,
    tenant,
    conversations: int,
    messages_per_conversation: int,
    calls: int,
    days: int,
    agents: int = 20,
    seed: int = 1,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict:
    """Writes the data; returns the row counts."""
    if connection.vendor != "postgresql":
        raise RuntimeError("generate_report_data writes with COPY and needs PostgreSQL")
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    zone = tenant_zone(tenant)
    now = timezone.now()
    today = local_today(zone, now)
    agent_ids = ensure_agents(tenant, agents)
    writers = {m: TableWriter(m) for m in (Visitor, Conversation, Message, CallSession, ConversationRating)}
    start_number = (
        Conversation.objects.for_tenant(tenant).order_by("-number").values_list("number", flat=True).first()
    ) or 0
    counts = dict.fromkeys(("visitors", "conversations", "messages", "calls", "ratings"), 0)
    made: list[tuple[int, datetime, int | None]] = []  # (conversation id, created_at, agent) for calls
    done = 0
    while done < conversations:
        n = min(BATCH_CONVERSATIONS, conversations - done)
        batch = _conversation_batch(
            rng, tenant, n, start_number + done, days, today, zone, now, agent_ids, writers, messages_per_conversation
        )
        for key, value in batch["counts"].items():
            counts[key] += value
        made.extend(batch["made"])
        done += n
        if progress:
            progress("conversations", done, conversations)
    for offset in range(0, calls, BATCH_CONVERSATIONS * 2):
        n = min(BATCH_CONVERSATIONS * 2, calls - offset)
        writers[CallSession].write(list(_call_rows(rng, tenant, n, made, writers[CallSession], now)))
        counts["calls"] += n
        if progress:
            progress("calls", offset + n, calls)
    return counts


def _conversation_batch(rng, tenant, n, number_base, days, today, zone, now, agent_ids, writers, per_conv) -> dict:
    visitor_ids = writers[Visitor].reserve_ids(n)
    conv_ids = writers[Conversation].reserve_ids(n)
    visitors, convs, messages, ratings, made = [], [], [], [], []
    for i in range(n):
        day = today - timedelta(days=rng.randrange(days))
        created = _moment(rng, day, zone, now)
        agent = rng.choice(agent_ids) if agent_ids and rng.random() < 0.9 else None
        age_days = (today - day).days
        status = rng.choices(["open", "pending", "resolved", "closed"], [1, 1, 3, 5] if age_days > 1 else [4, 2, 2, 2])[
            0
        ]
        first_response = _lognormal(rng, 60)
        times = [created]
        for k in range(1, per_conv):
            step = first_response if k == 1 else _lognormal(rng, 40)
            times.append(times[-1] + timedelta(seconds=step))
        times = [min(t, now) for t in times]
        closed_at = None
        if status in ("resolved", "closed"):
            closed_at = min(times[-1] + timedelta(seconds=_lognormal(rng, 600)), now)
        visitors.append(
            {
                "id": visitor_ids[i],
                "tenant_id": tenant.pk,
                "public_id": _pid("vis"),
                "subject": f"gen:{secrets.token_hex(8)}",
                "created_at": created,
            }
        )
        convs.append(
            {
                "id": conv_ids[i],
                "tenant_id": tenant.pk,
                "public_id": _pid("cnv"),
                "number": number_base + i + 1,
                "visitor_id": visitor_ids[i],
                "assigned_agent_id": agent,
                "status": status,
                "last_message_at": times[-1],
                "closed_at": closed_at,
                "created_at": created,
                "updated_at": created,
            }
        )
        for k, at in enumerate(times):
            sender = "agent" if (k % 2 == 1 and agent) else "visitor"
            messages.append(
                {
                    "tenant_id": tenant.pk,
                    "public_id": _pid("msg"),
                    "conversation_id": conv_ids[i],
                    "sender_type": sender,
                    "sender_agent_id": agent if sender == "agent" else None,
                    "sender_visitor_id": visitor_ids[i] if sender == "visitor" else None,
                    "body": "generated message",
                    "created_at": at,
                }
            )
        if status == "closed" and rng.random() < 0.3:
            ratings.append(
                {
                    "tenant_id": tenant.pk,
                    "conversation_id": conv_ids[i],
                    "agent_id": agent,
                    "score": rng.choices([1, 2, 3, 4, 5], [1, 1, 2, 4, 6])[0],
                    "comment": "",
                    "created_at": min(closed_at + timedelta(minutes=2), now),
                }
            )
    writers[Visitor].write(visitors)
    writers[Conversation].write(convs)
    msg_ids = writers[Message].reserve_ids(len(messages))
    for row, pk in zip(messages, msg_ids, strict=True):
        row["id"] = pk
    writers[Message].write(messages)
    rating_ids = writers[ConversationRating].reserve_ids(len(ratings))
    for row, pk in zip(ratings, rating_ids, strict=True):
        row["id"] = pk
    writers[ConversationRating].write(ratings)
    made = [(c["id"], c["created_at"], c["assigned_agent_id"]) for c in convs]
    counts = {"visitors": n, "conversations": n, "messages": len(messages), "ratings": len(ratings)}
    return {"counts": counts, "made": made}


def _call_rows(rng, tenant, n, made, writer, now) -> Iterator[dict]:
    ids = writer.reserve_ids(n)
    for i in range(n):
        conv_id, created, agent = rng.choice(made)
        started = min(created + timedelta(seconds=rng.randrange(1800)), now)
        direction = "inbound" if rng.random() < 0.8 else "outbound"
        outcome = rng.choices(["answered", "missed", "failed", "unanswered"], [70, 20, 5, 5])[0]
        answered_at = ended_at = duration = None
        status = {"answered": "ended", "missed": "missed", "failed": "failed", "unanswered": "ended"}[outcome]
        if outcome == "answered":
            answered_at = started + timedelta(seconds=rng.randrange(3, 40))
            duration = _lognormal(rng, 240)
            ended_at = answered_at + timedelta(seconds=duration)
        else:
            ended_at = started + timedelta(seconds=rng.randrange(10, 60))
        yield {
            "id": ids[i],
            "tenant_id": tenant.pk,
            "public_id": _pid("call"),
            "conversation_id": conv_id,
            "type": "audio",
            "direction": direction,
            "status": status,
            "started_at": started,
            "answered_at": answered_at,
            "ended_at": ended_at,
            "duration_seconds": duration,
            "started_by_kind": "agent" if direction == "outbound" else "visitor",
            "started_by_user_id": agent if direction == "outbound" else None,
            "metadata": {},
            "created_at": started,
            "updated_at": ended_at,
        }
