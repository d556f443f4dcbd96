"""Keeping rollups honest: the periodic refresh, dirty days from chat/call writes, the beat schedule."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from apps.chat.models import Message
from apps.reports.models import DailyRollup, RollupDirtyDay, RollupState
from apps.reports.periods import ReportPeriod, local_today, tenant_zone
from apps.reports.rollups import mark_dirty, rollup_catch_up
from apps.reports.selectors import report_build
from apps.reports.tasks import ROLLUP_INTERVAL_SECONDS, refresh_tenant_rollups
from apps.reports.tests import factories as f
from apps.tenants.tests.factories import StaffFactory, TenantFactory
from ringnity.celery import app

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenant():
    tenant = TenantFactory(timezone="Europe/Berlin")
    f.conversation(tenant, at=f.local("2026-01-10 09:00"))
    return tenant


def _jan(tenant):
    return ReportPeriod("custom", date(2026, 1, 10), date(2026, 1, 10), tenant_zone(tenant))


def test_the_tenant_task_rolls_up_every_closed_day_and_never_today(tenant):
    assert refresh_tenant_rollups(tenant.pk) > 0
    state = RollupState.objects.get(tenant=tenant)
    today = local_today(tenant_zone(tenant))
    assert state.rolled_through == today - timedelta(days=1)
    assert DailyRollup.objects.for_tenant(tenant).filter(day=date(2026, 1, 10), conversations=1).exists()
    assert not DailyRollup.objects.for_tenant(tenant).filter(day=today).exists()
    assert refresh_tenant_rollups(tenant.pk) == 0  # nothing new: idempotent


def test_a_first_agent_reply_to_an_old_conversation_marks_its_day_and_shows_at_once(tenant):
    agent = StaffFactory(tenant=tenant)
    old = f.conversation(tenant, at=f.local("2026-01-10 10:00"), agent=agent)
    rollup_catch_up(tenant=tenant)
    assert report_build(tenant=tenant, period=_jan(tenant))["summary"]["firstResponseSeconds"]["count"] == 0
    Message.objects.create(tenant=tenant, conversation=old, sender_type="agent", sender_agent=agent, body="hi")
    assert RollupDirtyDay.objects.for_tenant(tenant).filter(day=date(2026, 1, 10)).exists()
    assert report_build(tenant=tenant, period=_jan(tenant))["summary"]["firstResponseSeconds"]["count"] == 1


def test_a_reassignment_of_an_old_conversation_moves_it_between_agents(tenant):
    alice, bob = StaffFactory(tenant=tenant), StaffFactory(tenant=tenant)
    conv = f.conversation(tenant, at=f.local("2026-01-10 11:00"), agent=alice)
    rollup_catch_up(tenant=tenant)
    conv.assigned_agent = bob
    conv.save()
    rows = {r["agentId"]: r for r in report_build(tenant=tenant, period=_jan(tenant))["agentBreakdown"]}
    assert rows[bob.public_id]["conversationsAssigned"] == 1
    assert alice.public_id not in rows


def test_writes_about_days_not_yet_rolled_up_mark_nothing(tenant):
    mark_dirty(tenant_id=tenant.pk, moments=[timezone.now()])  # no rollups yet
    rollup_catch_up(tenant=tenant)
    mark_dirty(tenant_id=tenant.pk, moments=[timezone.now()])  # today: computed live anyway
    assert not RollupDirtyDay.objects.exists()


def test_the_refresh_is_on_the_beat_schedule():
    entry = app.conf.beat_schedule["reports-refresh-rollups"]
    assert entry["task"] == "reports.refresh_rollups"
    assert entry["schedule"] == ROLLUP_INTERVAL_SECONDS
    assert "reports.refresh_rollups" in app.tasks
    assert "reports.generate_export" in app.tasks


def test_today_is_cached_for_a_minute_and_raw_reads_bypass_the_cache():
    tenant = TenantFactory(timezone="UTC")
    now = timezone.now()
    f.conversation(tenant, at=now)
    today = ReportPeriod("today", now.date(), now.date(), tenant_zone(tenant))
    assert report_build(tenant=tenant, period=today)["summary"]["totalConversations"] == 1
    f.conversation(tenant, at=now)
    assert report_build(tenant=tenant, period=today)["summary"]["totalConversations"] == 1
    assert report_build(tenant=tenant, period=today, cache_today=False)["summary"]["totalConversations"] == 2
    assert report_build(tenant=tenant, period=today, raw=True)["summary"]["totalConversations"] == 2
