"""Holds: included units and money set aside before an AI call, settled once, released on failure or expiry."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.billing import hold_services, tasks
from apps.billing.models import AiBalance, AiHold, AiUsageLog
from apps.billing.services import Usage, ai_pricing_update
from apps.billing.tests.factories import fund_ai
from apps.plans import entitlements
from apps.plans.tests.factories import subscribe
from apps.tenants.tests.factories import TenantFactory
from ringnity.api.errors import ApiError

pytestmark = pytest.mark.django_db
REPLY = {"kind": "chat_reply", "units": 1, "ttl_seconds": 600}


@pytest.fixture
def tenant():
    tenant = TenantFactory()
    subscribe(tenant, features={"ai_chat": True}, quotas={"ai_chat_replies": 1, "ai_voice_minutes": 2})
    fund_ai(tenant, 10, block_on_zero=True, overage_enabled=False)
    return tenant


def test_an_open_included_hold_counts_as_used(tenant):
    first = hold_services.ai_hold_place(tenant=tenant, unit_estimate_micros=40_000, **REPLY)
    assert (first.included_units, first.held_cents) == (1, 0)
    assert entitlements.for_tenant(tenant).usage("ai_chat_replies") == 1
    second = hold_services.ai_hold_place(tenant=tenant, unit_estimate_micros=40_000, **REPLY)
    assert (second.included_units, second.held_cents) == (0, 4)
    third = hold_services.ai_hold_place(tenant=tenant, unit_estimate_micros=40_000, **REPLY)
    assert third.held_cents == 4
    with pytest.raises(ApiError) as refused:  # 10¢ - 8¢ held = 2¢ available
        hold_services.ai_hold_place(tenant=tenant, unit_estimate_micros=40_000, **REPLY)
    assert (refused.value.code, refused.value.status) == ("AI_BALANCE_EMPTY", 402)


def test_settle_meters_once_and_release_after_settle_changes_nothing(tenant):
    hold_services.ai_hold_place(tenant=tenant, unit_estimate_micros=0, **REPLY)  # takes the included reply
    hold = hold_services.ai_hold_place(tenant=tenant, unit_estimate_micros=40_000, **REPLY)
    usage = Usage(model="m", input_tokens=10, output_tokens=2000)
    first = hold_services.ai_hold_settle(hold=hold, usage=usage)
    again = hold_services.ai_hold_settle(hold=hold, usage=usage)
    assert first.pk == again.pk
    assert hold_services.ai_hold_release(hold=hold).status == "settled"
    assert AiUsageLog.objects.filter(tenant=tenant, included=False).count() == 1


def test_expired_holds_are_released_by_the_beat_task(tenant):
    hold = hold_services.ai_hold_place(tenant=tenant, unit_estimate_micros=0, **REPLY)
    AiHold.objects.filter(pk=hold.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert tasks.release_expired_holds() == 1
    hold.refresh_from_db()
    assert hold.status == "released"
    assert entitlements.for_tenant(tenant).usage("ai_chat_replies") == 0  # the included reply is back
    assert tasks.release_expired_holds() == 0


def test_a_voice_hold_shrinks_to_the_minutes_the_balance_pays_for(tenant):
    # 2 included minutes, then 3¢ a minute from the 10¢ balance: 3 more minutes (9¢ held).
    hold = hold_services.ai_hold_place(
        tenant=tenant, kind="voice", units=30, unit_estimate_micros=30_000, ttl_seconds=3600
    )
    assert (hold.units, hold.included_units, hold.held_cents) == (5, 2, 9)
    assert AiBalance.objects.get(tenant=tenant).balance_cents == 10  # a hold is not a ledger row


def test_a_spend_limit_counts_open_holds(tenant):
    ai_pricing_update(changes={"daily_spend_limit_cents": 6})
    hold_services.ai_hold_place(tenant=tenant, unit_estimate_micros=0, **REPLY)
    hold_services.ai_hold_place(tenant=tenant, unit_estimate_micros=40_000, **REPLY)  # 4¢ of the 6¢ limit
    with pytest.raises(ApiError) as refused:
        hold_services.ai_hold_place(tenant=tenant, unit_estimate_micros=40_000, **REPLY)
    assert (refused.value.code, refused.value.status) == ("AI_SPEND_LIMIT_REACHED", 429)
