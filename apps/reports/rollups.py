"""The one place that reads the raw chat and call tables: per (local day, agent) counters.

``raw_counters`` and ``raw_latency`` compute, by SQL GROUP BY over the raw tables, exactly the
rows ``DailyRollup`` and ``DailyLatencyBucket`` store. They serve three callers:
``rollup_refresh`` (store closed days), the report selectors (today and dirty days, live) and
the benchmark's raw baseline (every day live).

Index use: chat's tables have no ``(tenant, created_at)`` index, so conversations and messages
are narrowed by ``last_message_at >= start`` (a conversation's last message is never older
than the conversation or any of its messages), which the ``(tenant, -last_message_at)`` index
serves; messages are then reached through ``(tenant, conversation, -created_at)``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, F, Min, Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from apps.calls.models import CallDirection, CallSession, CallStatus
from apps.chat.models import Conversation, ConversationStatus, Message, SenderType
from apps.reports import figures
from apps.reports.histogram import FIRST_RESPONSE, RESOLUTION, bucket_floor
from apps.reports.models import ConversationRating, DailyLatencyBucket, DailyRollup, RollupDirtyDay, RollupState
from apps.reports.periods import day_start, local_today, tenant_zone

Key = tuple[date, int | None]
ROLLED_CACHE_SECONDS = 3600


def _agent_filter(field: str, agent_id: int | None) -> Q:
    return Q(**{field: agent_id}) if agent_id is not None else Q()


def raw_counters(*, tenant, start: datetime, end: datetime, zone, agent_id: int | None = None) -> dict[Key, dict]:
    """``{(local day, agent id or None): {counter: value}}`` for events in ``[start, end)``."""
    rows: dict[Key, dict] = defaultdict(figures.zero)

    def merge(queryset, agent_field: str):
        for item in queryset:
            key = (item.pop("day"), item.pop(agent_field))
            figures.add(rows[key], item)

    answered = Q(answered_at__isnull=False)
    inbound = Q(direction=CallDirection.INBOUND)
    unanswered_end = Q(answered_at__isnull=True, status__in=[CallStatus.MISSED, CallStatus.FAILED, CallStatus.ENDED])
    with_duration = answered & Q(duration_seconds__isnull=False)
    calls = (
        CallSession.objects.for_tenant(tenant)
        .filter(started_at__gte=start, started_at__lt=end)
        .annotate(
            day=TruncDate("started_at", tzinfo=zone),
            call_agent=Coalesce("started_by_user_id", "conversation__assigned_agent_id"),
        )
        .filter(_agent_filter("call_agent", agent_id))
        .values("day", "call_agent")
        .annotate(
            calls_total=Count("id"),
            calls_incoming=Count("id", filter=inbound),
            calls_answered=Count("id", filter=inbound & answered),
            calls_missed=Count("id", filter=inbound & unanswered_end),
            calls_handled=Count("id", filter=answered),
            call_duration_sum=Sum("duration_seconds", filter=with_duration),
            call_duration_count=Count("id", filter=with_duration),
        )
        .order_by()
    )
    merge(calls, "call_agent")

    status = {f"conversations_{s.value}": Count("id", filter=Q(status=s)) for s in ConversationStatus}
    conversations = (
        Conversation.objects.for_tenant(tenant)
        .filter(created_at__gte=start, created_at__lt=end, last_message_at__gte=start)
        .filter(_agent_filter("assigned_agent_id", agent_id))
        .annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("day", "assigned_agent_id")
        .annotate(conversations=Count("id"), **status)
        .order_by()
    )
    merge(conversations, "assigned_agent_id")

    if connection.vendor == "postgresql":
        merge(_messages_pg(tenant=tenant, start=start, end=end, zone=zone, agent_id=agent_id), "agent")
    else:
        messages = (
            Message.objects.for_tenant(tenant)
            .filter(created_at__gte=start, created_at__lt=end, conversation__last_message_at__gte=start)
            .filter(_agent_filter("conversation__assigned_agent_id", agent_id))
            .annotate(day=TruncDate("created_at", tzinfo=zone), agent=F("conversation__assigned_agent_id"))
            .values("day", "agent")
            .annotate(
                messages=Count("id"),
                messages_agent=Count("id", filter=Q(sender_type=SenderType.AGENT)),
                messages_visitor=Count("id", filter=Q(sender_type=SenderType.VISITOR)),
            )
            .order_by()
        )
        merge(messages, "agent")

    ratings = (
        ConversationRating.objects.for_tenant(tenant)
        .filter(created_at__gte=start, created_at__lt=end)
        .filter(_agent_filter("agent_id", agent_id))
        .annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("day", "agent_id")
        .annotate(ratings=Count("id"), rating_sum=Sum("score"), ratings_positive=Count("id", filter=Q(score__gte=4)))
        .order_by()
    )
    merge(ratings, "agent_id")
    return dict(rows)


# Messages are reached from the conversations active since ``start`` (``conv_tenant_last``), then
# through ``(tenant, conversation, created_at)``: a LATERAL join keeps PostgreSQL from scanning
# the tenant's whole message index for a ``created_at`` range it does not lead with (``OFFSET 0``
# keeps the planner from flattening the subquery back into that scan).
_MESSAGES_SQL_PG = """
SELECT (m.created_at AT TIME ZONE %(zone)s)::date AS day, c.assigned_agent_id AS agent,
       COUNT(*) AS messages,
       COUNT(*) FILTER (WHERE m.sender_type = 'agent') AS messages_agent,
       COUNT(*) FILTER (WHERE m.sender_type = 'visitor') AS messages_visitor
FROM chat_conversation c
CROSS JOIN LATERAL (
    SELECT m.created_at, m.sender_type FROM chat_message m
    WHERE m.tenant_id = c.tenant_id AND m.conversation_id = c.id
      AND m.created_at >= %(start)s AND m.created_at < %(end)s
    OFFSET 0
) m
WHERE c.tenant_id = %(tenant)s AND c.last_message_at >= %(start)s {agent}
GROUP BY 1, 2
"""


def _messages_pg(*, tenant, start, end, zone, agent_id) -> list[dict]:
    params = {"zone": str(zone), "tenant": tenant.pk, "start": start, "end": end, "agent": agent_id}
    sql = _MESSAGES_SQL_PG.format(agent="AND c.assigned_agent_id = %(agent)s" if agent_id is not None else "")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [col.name for col in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


_LATENCY_SQL_PG = """
WITH conv AS (
    SELECT (c.created_at AT TIME ZONE %(zone)s)::date AS day, c.assigned_agent_id AS agent_id,
           FLOOR(EXTRACT(EPOCH FROM (
               SELECT MIN(m.created_at) FROM chat_message m
               WHERE m.tenant_id = c.tenant_id AND m.conversation_id = c.id AND m.sender_type = 'agent'
           ) - c.created_at))::bigint AS first_response,
           CASE WHEN c.status IN ('resolved', 'closed')
                THEN FLOOR(EXTRACT(EPOCH FROM c.closed_at - c.created_at))::bigint END AS resolution
    FROM chat_conversation c
    WHERE c.tenant_id = %(tenant)s AND c.created_at >= %(start)s AND c.created_at < %(end)s
      AND c.last_message_at >= %(start)s {agent}
), seconds AS (
    SELECT day, agent_id, 1 AS metric, GREATEST(first_response, 0) AS v FROM conv WHERE first_response IS NOT NULL
    UNION ALL
    SELECT day, agent_id, 2, GREATEST(resolution, 0) FROM conv WHERE resolution IS NOT NULL
)
SELECT day, agent_id, metric,
       CASE WHEN v < 100 THEN v ELSE v - MOD(v, (10 ^ (LENGTH(v::text) - 2))::bigint) END AS floor,
       COUNT(*)
FROM seconds GROUP BY 1, 2, 3, 4
"""


def raw_latency(*, tenant, start: datetime, end: datetime, zone, agent_id: int | None = None) -> list[tuple]:
    """``[(day, agent id, metric, bucket floor, count)]`` for conversations created in ``[start, end)``."""
    if connection.vendor == "postgresql":
        params = {"zone": str(zone), "tenant": tenant.pk, "start": start, "end": end, "agent": agent_id}
        sql = _LATENCY_SQL_PG.format(agent="AND c.assigned_agent_id = %(agent)s" if agent_id is not None else "")
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [tuple(row) for row in cursor.fetchall()]
    return _raw_latency_portable(tenant=tenant, start=start, end=end, zone=zone, agent_id=agent_id)


def _raw_latency_portable(*, tenant, start, end, zone, agent_id) -> list[tuple]:
    """The embedded (SQLite) fallback: the same buckets, bucketed in Python per conversation."""
    conversations = (
        Conversation.objects.for_tenant(tenant)
        .filter(created_at__gte=start, created_at__lt=end, last_message_at__gte=start)
        .filter(_agent_filter("assigned_agent_id", agent_id))
        .annotate(first_at=Min("messages__created_at", filter=Q(messages__sender_type=SenderType.AGENT)))
        .values_list("created_at", "assigned_agent_id", "first_at", "status", "closed_at")
    )
    counts: dict[tuple, int] = defaultdict(int)
    for created, agent, first_at, status, closed_at in conversations:
        day = created.astimezone(zone).date()
        if first_at is not None:
            counts[(day, agent, FIRST_RESPONSE, bucket_floor((first_at - created).total_seconds()))] += 1
        if status in (ConversationStatus.RESOLVED, ConversationStatus.CLOSED) and closed_at is not None:
            counts[(day, agent, RESOLUTION, bucket_floor((closed_at - created).total_seconds()))] += 1
    return [(*key, n) for key, n in counts.items()]


def queue_count(*, tenant) -> int:
    """Inbound calls ringing right now (``currentQueueCount``)."""
    return (
        CallSession.objects.for_tenant(tenant)
        .filter(status=CallStatus.STARTED, direction=CallDirection.INBOUND)
        .count()
    )


# --- Keeping the rollups ------------------------------------------------------------------


def _state(tenant) -> RollupState:
    state, _ = RollupState.objects.get_or_create(tenant=tenant)
    return RollupState.objects.select_for_update().get(pk=state.pk)


@transaction.atomic
def rollup_refresh(*, tenant, first_day: date, last_day: date) -> int:
    """Recomputes the stored rows of every local day in ``[first_day, last_day]``; returns rows written.

    Replaces whole days (delete + insert) under the tenant's ``RollupState`` row lock, so two
    refreshes of one tenant never interleave.
    """
    state = _state(tenant)
    zone = tenant_zone(tenant)
    start, end = day_start(first_day, zone), day_start(last_day + timedelta(days=1), zone)
    counters = raw_counters(tenant=tenant, start=start, end=end, zone=zone)
    latency = raw_latency(tenant=tenant, start=start, end=end, zone=zone)
    DailyRollup.objects.for_tenant(tenant).filter(day__gte=first_day, day__lte=last_day).delete()
    DailyLatencyBucket.objects.for_tenant(tenant).filter(day__gte=first_day, day__lte=last_day).delete()
    DailyRollup.objects.bulk_create(
        [DailyRollup(tenant=tenant, day=day, agent_id=agent, **values) for (day, agent), values in counters.items()],
        batch_size=2000,
    )
    totals: dict[tuple, int] = defaultdict(int)
    for day, _agent, metric, floor, n in latency:
        totals[(day, metric, floor)] += n
    DailyLatencyBucket.objects.bulk_create(
        [
            DailyLatencyBucket(tenant=tenant, day=day, agent_id=agent, metric=metric, floor=floor, count=n)
            for day, agent, metric, floor, n in latency
        ]
        + [
            DailyLatencyBucket(tenant=tenant, day=day, all_agents=True, metric=metric, floor=floor, count=n)
            for (day, metric, floor), n in totals.items()
        ],
        batch_size=5000,
    )
    RollupDirtyDay.objects.for_tenant(tenant).filter(day__gte=first_day, day__lte=last_day).delete()
    state.refreshed_at = timezone.now()
    state.save(update_fields=["refreshed_at"])
    return len(counters) + len(latency)


def rollup_catch_up(*, tenant, now: datetime | None = None, chunk_days: int = 31) -> int:
    """Rolls up every closed local day not yet stored (from the first data on), then dirty days.

    The first run for a tenant starts at its earliest conversation or call; later runs start
    the day after ``rolled_through``. Today is never stored: reports compute it live.
    """
    zone = tenant_zone(tenant)
    yesterday = local_today(zone, now) - timedelta(days=1)
    state, _ = RollupState.objects.get_or_create(tenant=tenant)
    first = state.rolled_through + timedelta(days=1) if state.rolled_through else _first_data_day(tenant, zone)
    written = 0
    while first is not None and first <= yesterday:
        last = min(first + timedelta(days=chunk_days - 1), yesterday)
        written += rollup_refresh(tenant=tenant, first_day=first, last_day=last)
        RollupState.objects.filter(pk=state.pk).update(rolled_through=last)
        _forget_rolled_through(tenant.pk)
        first = last + timedelta(days=1)
    if first is None:
        RollupState.objects.filter(pk=state.pk).update(rolled_through=yesterday)
        _forget_rolled_through(tenant.pk)
    for day in list(RollupDirtyDay.objects.for_tenant(tenant).filter(day__lte=yesterday).values_list("day", flat=True)):
        written += rollup_refresh(tenant=tenant, first_day=day, last_day=day)
    return written


def _first_data_day(tenant, zone) -> date | None:
    candidates = [
        Conversation.objects.for_tenant(tenant).aggregate(v=Min("created_at"))["v"],
        CallSession.objects.for_tenant(tenant).aggregate(v=Min("started_at"))["v"],
    ]
    found = [c for c in candidates if c is not None]
    return min(found).astimezone(zone).date() if found else None


def _rolled_through(tenant_id: int) -> tuple[date | None, str]:
    """``(rolled_through, zone name)`` of a tenant, cached so that chat writes add no query."""
    key = f"reports:rolled:{tenant_id}"
    cached = cache.get(key)
    if cached is None:
        state = RollupState.objects.filter(tenant_id=tenant_id).select_related("tenant").first()
        day = state.rolled_through if state is not None else None
        cached = (day.isoformat() if day else "", str(tenant_zone(state.tenant)) if state else "UTC")
        cache.set(key, cached, ROLLED_CACHE_SECONDS)
    return (date.fromisoformat(cached[0]) if cached[0] else None), cached[1]


def _forget_rolled_through(tenant_id: int) -> None:
    cache.delete(f"reports:rolled:{tenant_id}")


def mark_dirty(*, tenant_id: int, moments) -> None:
    """Marks the local days of ``moments`` (datetimes) for recomputation, if already rolled up.

    Days after ``rolled_through`` are computed live anyway and need no mark (the common case:
    a write about today costs no query at all).
    """
    rolled_through, zone_name = _rolled_through(tenant_id)
    if rolled_through is None:
        return
    zone = ZoneInfo(zone_name)
    days = {m.astimezone(zone).date() for m in moments if m is not None}
    rows = [RollupDirtyDay(tenant_id=tenant_id, day=d) for d in days if d <= rolled_through]
    if rows:
        RollupDirtyDay.objects.bulk_create(rows, ignore_conflicts=True)
