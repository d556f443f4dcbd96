"""``generate_report_data`` (COPY, PostgreSQL only): the rows it writes, and rollups equal to raw SQL."""

import io

import pytest
from django.core.management import CommandError, call_command

from apps.calls.models import CallSession
from apps.chat.models import Conversation, Message
from apps.reports.models import DailyRollup
from apps.reports.periods import period_resolve
from apps.reports.selectors import report_build
from apps.tenants.models import Tenant
from ringnity.testing.ci import require_postgresql

pytestmark = pytest.mark.django_db


@pytest.fixture
def postgres():
    require_postgresql("generate_report_data writes with COPY: PostgreSQL only")


def test_generator_writes_the_asked_volumes_and_rollups_match_raw_sql(postgres):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "generate_report_data",
        "--tenant",
        "gen-test",
        "--create",
        "--conversations",
        "300",
        "--messages-per-conversation",
        "6",
        "--calls",
        "120",
        "--days",
        "20",
        "--agents",
        "4",
        "--yes-write-fake-data-into",
        "gen-test",
        stdout=out,
        stderr=err,
    )
    tenant = Tenant.objects.get(slug="gen-test")
    assert Conversation.objects.for_tenant(tenant).count() == 300
    assert Message.objects.for_tenant(tenant).count() == 1800
    assert CallSession.objects.for_tenant(tenant).count() == 120
    assert "300/300" in err.getvalue()
    assert DailyRollup.objects.for_tenant(tenant).exists()
    period = period_resolve(tenant=tenant, period="30days")
    stored, raw = report_build(tenant=tenant, period=period), report_build(tenant=tenant, period=period, raw=True)
    assert stored == raw
    assert stored["summary"]["totalConversations"] == 300
    assert stored["summary"]["totalMessages"] == 1800
    assert len(stored["agentBreakdown"]) == 4


def test_unknown_tenant_without_create_is_an_error(settings):
    settings.DEBUG = True
    with pytest.raises(CommandError, match="no tenant 'nobody-here'"):
        call_command("generate_report_data", "--tenant", "nobody-here")


@pytest.mark.parametrize(
    "confirmation", [[], ["--yes-write-fake-data-into", "other"], ["--yes-write-fake-data-into", ""]]
)
def test_without_debug_it_refuses_unless_the_slug_is_confirmed_and_writes_nothing(settings, confirmation):
    settings.DEBUG = False
    tenant = Tenant.objects.create(slug="acme", name="Acme", email="acme@example.com")
    with pytest.raises(CommandError, match="confirm with --yes-write-fake-data-into acme"):
        call_command("generate_report_data", "--tenant", "acme", "--conversations", "5", *confirmation)
    with pytest.raises(CommandError, match="--yes-write-fake-data-into fresh"):
        call_command("generate_report_data", "--tenant", "fresh", "--create", *confirmation)
    assert not Conversation.objects.for_tenant(tenant).exists()
    assert not Tenant.objects.filter(slug="fresh").exists()


def test_the_confirmation_lets_it_run_without_debug(settings):
    """Past the guard: the next check (an unknown tenant) answers."""
    settings.DEBUG = False
    with pytest.raises(CommandError, match="no tenant 'nobody-here'"):
        call_command("generate_report_data", "--tenant", "nobody-here", "--yes-write-fake-data-into", "nobody-here")
