"""Report reads: stored rollups for closed days, live SQL for the rest, merged into contract shapes.

A period's days split in two: *stored* days (rolled up, not dirty) are read from
``DailyRollup``/``DailyLatencyBucket`` with SQL SUMs grouped by day and by agent (at most
days x agents rows); *live* days (today, days after ``rolled_through``, dirty days) come from
``apps.reports.rollups.raw_counters``/``raw_latency`` over the raw tables, bounded by those
days' UTC instants. The two partial results are added per day and per agent; the number of
queries does not depend on the data. Today's live part is cached for a minute
(``TODAY_CACHE_SECONDS``): figures for today are at most that old.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from django.core.cache import cache
from django.db.models import Sum

from apps.reports import figures
from apps.reports.models import DailyLatencyBucket, DailyRollup, RollupDirtyDay, RollupState
from apps.reports.periods import ReportPeriod, day_start, local_today
from apps.reports.rollups import queue_count, raw_counters, raw_latency
from apps.tenants.models import User
from ringnity.api.errors import ApiError, ErrorCode


def report_agent(*, tenant, agent_id: str | None) -> User | None:
    """The tenant's staff member ``agentId`` names; another tenant's or unknown → 404."""
    if not agent_id:
        return None
    agent = User.objects.filter(tenant=tenant, public_id=agent_id).first()
    if agent is None:
        raise ApiError(ErrorCode.NOT_FOUND, "Agent not found.", status=404)
    return agent


def _live_days(*, tenant, period: ReportPeriod) -> set[date]:
    state = RollupState.objects.filter(tenant=tenant).values_list("rolled_through", flat=True).first()
    dirty = set(
        RollupDirtyDay.objects.for_tenant(tenant)
        .filter(day__gte=period.first_day, day__lte=period.last_day)
        .values_list("day", flat=True)
    )
    return {d for d in period.days if state is None or d > state} | dirty


def _runs(days: list[date]) -> list[tuple[date, date]]:
    """Consecutive runs of days, so live SQL reads one time range per run."""
    runs: list[list[date]] = []
    for day in sorted(days):
        if runs and day == runs[-1][1] + timedelta(days=1):
            runs[-1][1] = day
        else:
            runs.append([day, day])
    return [(a, b) for a, b in runs]


class _Parts:
    """Counters and latency buckets by day, by agent and in total."""

    def __init__(self):
        self.by_day: dict = defaultdict(figures.zero)
        self.by_agent: dict = defaultdict(figures.zero)
        self.total = figures.zero()
        self.lat_day: dict = defaultdict(lambda: defaultdict(list))
        self.lat_agent: dict = defaultdict(lambda: defaultdict(list))
        self.lat_total: dict = defaultdict(list)


def _stored(parts: _Parts, *, tenant, period: ReportPeriod, live: set[date], agent: User | None, by_agent: bool):
    rollups = DailyRollup.objects.for_tenant(tenant).filter(day__gte=period.first_day, day__lte=period.last_day)
    buckets = DailyLatencyBucket.objects.for_tenant(tenant).filter(day__gte=period.first_day, day__lte=period.last_day)
    if live:
        rollups, buckets = rollups.exclude(day__in=live), buckets.exclude(day__in=live)
    agent_buckets = buckets.filter(all_agents=False)
    if agent is not None:
        rollups, agent_buckets = rollups.filter(agent=agent), agent_buckets.filter(agent=agent)
        day_buckets = agent_buckets
    else:
        day_buckets = buckets.filter(all_agents=True)
    sums = {name: Sum(name) for name in figures.COUNTERS}
    for row in rollups.values("day").annotate(**sums).order_by():
        day = row.pop("day")
        figures.add(parts.by_day[day], row)
        figures.add(parts.total, row)
    for day, metric, floor, n in (
        day_buckets.values("day", "metric", "floor")
        .annotate(n=Sum("count"))
        .order_by()
        .values_list("day", "metric", "floor", "n")
    ):
        parts.lat_day[day][metric].append((floor, n))
        parts.lat_total[metric].append((floor, n))
    if by_agent:
        for row in rollups.exclude(agent=None).values("agent").annotate(**sums).order_by():
            figures.add(parts.by_agent[row.pop("agent")], row)
        agent_rows = agent_buckets.exclude(agent=None).values("agent", "metric", "floor").annotate(n=Sum("count"))
        for who, metric, floor, n in agent_rows.order_by().values_list("agent", "metric", "floor", "n"):
            parts.lat_agent[who][metric].append((floor, n))


TODAY_CACHE_SECONDS = 60


def _live_rows(*, tenant, period: ReportPeriod, first: date, last: date, agent_id: int | None, cached: bool):
    """Raw counters and latency buckets of ``[first, last]``.

    The run that is exactly today is cached for ``TODAY_CACHE_SECONDS`` per tenant and agent
    filter: dashboards poll it, and a minute-old "today" is the documented freshness. Other
    live runs (dirty or not yet rolled-up days) are always computed.
    """
    start, end = day_start(first, period.zone), day_start(last + timedelta(days=1), period.zone)

    def compute():
        return (
            raw_counters(tenant=tenant, start=start, end=end, zone=period.zone, agent_id=agent_id),
            raw_latency(tenant=tenant, start=start, end=end, zone=period.zone, agent_id=agent_id),
        )

    if not cached or first != last or first != local_today(period.zone):
        return compute()
    key = f"reports:today:{tenant.pk}:{agent_id or 0}:{first.isoformat()}"
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, TODAY_CACHE_SECONDS)
    return found


def _live(parts: _Parts, *, tenant, period: ReportPeriod, live: set[date], agent: User | None, cached: bool):
    agent_id = agent.pk if agent is not None else None
    for first, last in _runs(live):
        counters, latency = _live_rows(
            tenant=tenant, period=period, first=first, last=last, agent_id=agent_id, cached=cached
        )
        for (day, who), values in counters.items():
            figures.add(parts.by_day[day], values)
            figures.add(parts.total, values)
            if who is not None:
                figures.add(parts.by_agent[who], values)
        for day, who, metric, floor, n in latency:
            parts.lat_day[day][metric].append((floor, n))
            parts.lat_total[metric].append((floor, n))
            if who is not None:
                parts.lat_agent[who][metric].append((floor, n))


def _collect(
    *, tenant, period: ReportPeriod, agent: User | None, by_agent: bool, raw: bool = False, cache_today: bool = True
) -> _Parts:
    parts = _Parts()
    live = set(period.days) if raw else _live_days(tenant=tenant, period=period)
    _stored(parts, tenant=tenant, period=period, live=live, agent=agent, by_agent=by_agent)
    if live:
        _live(parts, tenant=tenant, period=period, live=live, agent=agent, cached=cache_today and not raw)
    return parts


def _series(parts: _Parts, period: ReportPeriod) -> list[dict]:
    """One point per day of the period, zero-filled."""
    return [
        figures.series_point(day, parts.by_day.get(day) or figures.zero(), figures.latency(parts.lat_day.get(day, {})))
        for day in period.days
    ]


def report_timeseries(*, tenant, period: ReportPeriod, agent: User | None = None) -> dict:
    parts = _collect(tenant=tenant, period=period, agent=agent, by_agent=False)
    return {"period": period.as_contract(), "timeseries": _series(parts, period)}


def report_build(
    *, tenant, period: ReportPeriod, agent: User | None = None, raw: bool = False, cache_today: bool = True
) -> dict:
    """The contract's ``Report`` (plus the latency extensions) for ``period``, optionally one agent's.

    ``raw=True`` ignores the rollups (and the one-minute cache of today) and computes every day
    from the raw tables: the benchmark's baseline, and the proof that both paths agree.
    """
    parts = _collect(tenant=tenant, period=period, agent=agent, by_agent=True, raw=raw, cache_today=cache_today)
    agent_ids = {agent.pk} if agent is not None else set(parts.by_agent)
    users = User.objects.filter(tenant=tenant, pk__in=agent_ids).order_by("name", "username", "id") if agent_ids else []
    breakdown = [
        figures.agent_item(
            user, parts.by_agent.get(user.pk) or figures.zero(), figures.latency(parts.lat_agent.get(user.pk, {}))
        )
        for user in users
    ]
    return {
        "period": period.as_contract(),
        "summary": figures.report_summary(
            parts.total, figures.latency(parts.lat_total), queue=queue_count(tenant=tenant)
        ),
        "agentBreakdown": breakdown,
        "timeseries": _series(parts, period),
    }
