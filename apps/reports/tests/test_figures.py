"""Every figure against the hand-counted fixture (``factories.scenario``), live and from rollups."""

from datetime import date, datetime

import pytest

from apps.reports.models import DailyRollup, RollupDirtyDay
from apps.reports.periods import ReportPeriod, tenant_zone
from apps.reports.rollups import rollup_catch_up
from apps.reports.selectors import report_build, report_timeseries
from apps.reports.tests import factories as f
from apps.tenants.tests.factories import StaffFactory, TenantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    tenant = TenantFactory(timezone="Europe/Berlin")
    alice = StaffFactory(tenant=tenant, username="alice", name="Alice")
    bob = StaffFactory(tenant=tenant, username="bob", name="Bob")
    convs = f.scenario(tenant, alice, bob)
    other = TenantFactory(timezone="Europe/Berlin")
    f.scenario(other, StaffFactory(tenant=other), StaffFactory(tenant=other))  # must never show up
    return {"tenant": tenant, "alice": alice, "bob": bob, **convs}


def _period(tenant, first="2026-01-10", last="2026-01-12"):
    return ReportPeriod("custom", date.fromisoformat(first), date.fromisoformat(last), tenant_zone(tenant))


EXPECTED_CALLS = {
    "totalIncoming": 4,
    "totalAnswered": 2,
    "totalMissed": 1,
    "answerRate": 50,
    "avgDurationSeconds": 160,
    "totalHandled": 3,
    "currentQueueCount": 1,
}
EXPECTED_CHAT = {
    "totalConversations": 4,
    "openConversations": 1,
    "pendingConversations": 1,
    "resolvedConversations": 1,
    "closedConversations": 1,
    "totalMessages": 9,
    "agentMessages": 3,
    "visitorMessages": 6,
    "conversationResolutionRate": 50,
    "firstResponseSeconds": {"median": 45.0, "p90": 81.0, "count": 3},
    "resolutionSeconds": {"median": 87.5, "p90": 93.5, "count": 2},
}
EXPECTED_SATISFACTION = {"avgRatingScore": 4.0, "totalRatings": 2, "satisfactionRate": 50}
EXPECTED_SERIES = [
    {
        "date": "2026-01-10",
        "callsTotal": 2,
        "callsAnswered": 1,
        "callsMissed": 1,
        "conversations": 1,
        "conversationsResolved": 1,
        "messages": 3,
    },
    {
        "date": "2026-01-11",
        "callsTotal": 1,
        "callsAnswered": 1,
        "callsMissed": 0,
        "conversations": 2,
        "conversationsResolved": 1,
        "messages": 4,
    },
    {
        "date": "2026-01-12",
        "callsTotal": 2,
        "callsAnswered": 0,
        "callsMissed": 0,
        "conversations": 1,
        "conversationsResolved": 0,
        "messages": 2,
    },
]


def _check_summary(report):
    summary = report["summary"]
    assert summary["calls"] == EXPECTED_CALLS
    assert summary["chat"] == EXPECTED_CHAT
    assert summary["satisfaction"] == EXPECTED_SATISFACTION
    for group in (EXPECTED_CALLS, EXPECTED_CHAT, EXPECTED_SATISFACTION):
        for name, value in group.items():
            assert summary[name] == value, name
    series = [{k: v for k, v in p.items() if k in EXPECTED_SERIES[0]} for p in report["timeseries"]]
    assert series == EXPECTED_SERIES


def _check_agents(report, alice, bob):
    rows = {row["username"]: row for row in report["agentBreakdown"]}
    assert set(rows) == {"alice", "bob"}
    assert rows["alice"]["agentId"] == alice.public_id
    assert rows["alice"]["agentName"] == "Alice"
    a, b = rows["alice"], rows["bob"]
    assert (a["callsHandled"], a["avgDurationSeconds"], a["avgRating"], a["totalRatings"]) == (2, 210, 5.0, 1)
    assert a["conversationsAssigned"] == 2
    assert a["firstResponseSeconds"] == {"median": 37.5, "p90": 43.5, "count": 2}
    assert a["resolutionSeconds"] == {"median": 80.0, "p90": 80.0, "count": 1}
    assert (b["callsHandled"], b["avgDurationSeconds"], b["avgRating"], b["totalRatings"]) == (1, 60, 3.0, 1)
    assert b["conversationsAssigned"] == 1


def test_every_figure_matches_the_hand_count_computed_live(world):
    report = report_build(tenant=world["tenant"], period=_period(world["tenant"]))
    _check_summary(report)
    _check_agents(report, world["alice"], world["bob"])


def test_rolled_up_days_give_the_same_figures_as_live_sql(world):
    rollup_catch_up(tenant=world["tenant"])
    assert DailyRollup.objects.for_tenant(world["tenant"]).filter(day=date(2026, 1, 11)).exists()
    report = report_build(tenant=world["tenant"], period=_period(world["tenant"]))
    _check_summary(report)
    _check_agents(report, world["alice"], world["bob"])


def test_a_day_changed_after_its_rollup_is_computed_live_until_refreshed(world):
    tenant = world["tenant"]
    rollup_catch_up(tenant=tenant)
    c4 = world["c4"]
    c4.status = "closed"
    c4.closed_at = c4.created_at
    c4.save()
    assert RollupDirtyDay.objects.for_tenant(tenant).filter(day=date(2026, 1, 12)).exists()
    report = report_build(tenant=tenant, period=_period(tenant))
    assert report["summary"]["closedConversations"] == 2
    assert report["summary"]["pendingConversations"] == 0
    rollup_catch_up(tenant=tenant)
    assert not RollupDirtyDay.objects.for_tenant(tenant).exists()
    assert report_build(tenant=tenant, period=_period(tenant))["summary"]["closedConversations"] == 2


def test_message_at_2330_local_lands_on_the_local_day_not_the_utc_day(world):
    tenant = world["tenant"]
    only_jan_10 = report_timeseries(tenant=tenant, period=_period(tenant, "2026-01-10", "2026-01-10"))
    # c2 and k3 happened on 10 January in UTC but 11 January in Berlin.
    assert only_jan_10["timeseries"][0]["conversations"] == 1
    assert only_jan_10["timeseries"][0]["callsTotal"] == 2
    f.conversation(tenant, at=f.local("2026-01-10 23:30"))
    again = report_timeseries(tenant=tenant, period=_period(tenant, "2026-01-10", "2026-01-10"))
    assert again["timeseries"][0]["conversations"] == 2


def test_series_has_one_point_per_day_zero_filled(world):
    tenant = world["tenant"]
    series = report_timeseries(tenant=tenant, period=_period(tenant, "2026-01-08", "2026-01-14"))["timeseries"]
    assert [p["date"] for p in series] == [f"2026-01-{d:02d}" for d in range(8, 15)]
    for point in (series[0], series[1], series[5], series[6]):
        assert point["callsTotal"] == point["conversations"] == point["messages"] == 0
        assert point["firstResponseSeconds"] == {"median": None, "p90": None, "count": 0}


def test_agent_filter_keeps_only_that_agents_figures(world):
    tenant, alice = world["tenant"], world["alice"]
    report = report_build(tenant=tenant, period=_period(tenant), agent=alice)
    s = report["summary"]
    assert (s["totalIncoming"], s["totalAnswered"], s["totalMissed"], s["answerRate"]) == (2, 1, 1, 50)
    assert (s["avgDurationSeconds"], s["totalHandled"], s["currentQueueCount"]) == (210, 2, 1)
    assert (s["totalConversations"], s["closedConversations"], s["openConversations"]) == (2, 1, 1)
    assert (s["totalMessages"], s["agentMessages"], s["visitorMessages"]) == (6, 2, 4)
    assert (s["avgRatingScore"], s["totalRatings"], s["satisfactionRate"]) == (5.0, 1, 100)
    assert [row["username"] for row in report["agentBreakdown"]] == ["alice"]
    rollup_catch_up(tenant=tenant)
    assert report_build(tenant=tenant, period=_period(tenant), agent=alice)["summary"] == s


def test_an_agent_without_activity_is_listed_with_zeros_when_filtered(world):
    tenant = world["tenant"]
    idle = StaffFactory(tenant=tenant, username="idle")
    report = report_build(tenant=tenant, period=_period(tenant), agent=idle)
    assert report["summary"]["totalConversations"] == 0
    assert report["agentBreakdown"][0]["username"] == "idle"
    assert report["agentBreakdown"][0]["callsHandled"] == 0


def test_today_is_computed_live_from_what_just_happened():
    tenant = TenantFactory(timezone="America/New_York")
    now = datetime.now(tenant_zone(tenant))
    conv = f.conversation(tenant, at=now)
    f.message(conv, after=0)
    rollup_catch_up(tenant=tenant)
    today = ReportPeriod("today", now.date(), now.date(), tenant_zone(tenant))
    summary = report_build(tenant=tenant, period=today)["summary"]
    assert (summary["totalConversations"], summary["totalMessages"]) == (1, 1)
