"""The plan's ``agents`` quota: counted, and enforced on every path that adds a staff seat (issue 18).

Also the rule behind it: a quota key that no app counts fails loudly (``plans.E001`` at start-up,
``Entitlements.usage`` raises) instead of silently counting 0.
"""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.plans import checks, entitlements
from apps.plans.tests.factories import subscribe
from apps.tenants import services
from apps.tenants.models import StaffRole, User
from apps.tenants.tests.factories import OwnerFactory, PlatformOperatorFactory, StaffFactory
from ringnity.api.errors import ApiError
from ringnity.testing.ci import require_postgresql
from ringnity.testing.concurrency import run_parallel

PASSWORD = "a-long-passphrase"


def _tenant(agents):
    owner = OwnerFactory()
    subscribe(owner.tenant, plan_slug=f"seats-{owner.tenant.slug}", quotas={"agents": agents})
    return owner.tenant


def _create(tenant, username):
    return services.staff_create(tenant=tenant, username=username, password=PASSWORD, role=StaffRole.AGENT)


# --- the counter rule ---------------------------------------------------------------------


def test_every_catalog_quota_key_has_a_usage_counter():
    assert checks.uncounted_quota_errors() == []


def test_a_quota_key_without_a_counter_is_a_start_up_error():
    errors = checks.uncounted_quota_errors(["agents", "storage_mb", "attachment_mb"])
    assert [(e.id, "storage_mb" in e.msg) for e in errors] == [("plans.E001", True)]
    assert "register_usage_counter('storage_mb'" in errors[0].hint


@pytest.mark.django_db
def test_usage_of_an_uncounted_key_raises_instead_of_counting_zero():
    tenant = _tenant(3)
    with pytest.raises(entitlements.UsageCounterMissing, match="storage_mb"):
        entitlements.for_tenant(tenant).usage("storage_mb")


@pytest.mark.django_db
def test_agents_usage_counts_active_staff_but_not_the_owner():
    tenant = _tenant(5)
    StaffFactory(tenant=tenant)
    StaffFactory(tenant=tenant, role=StaffRole.ADMIN)
    StaffFactory(tenant=tenant, is_active=False)
    ent = entitlements.for_tenant(tenant)
    assert ent.usage("agents") == 2
    assert ent.remaining("agents") == 3


# --- the service ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_beyond_the_agents_quota_is_refused_like_every_other_quota():
    tenant = _tenant(2)
    _create(tenant, "one")
    _create(tenant, "two")
    with pytest.raises(ApiError) as refused:
        _create(tenant, "three")
    error = refused.value
    assert (error.code, error.status) == ("QUOTA_EXCEEDED", 400)
    plan = entitlements.for_tenant(tenant).plan_slug
    assert error.message.startswith(f"The '{plan}' plan allows at most 2 agents.")
    assert error.details == ["agents: the plan allows at most 2"]
    assert not User.objects.filter(tenant=tenant, username="three").exists()


@pytest.mark.django_db
def test_reactivation_needs_a_free_seat_and_deactivation_never_does():
    tenant = _tenant(1)
    first = _create(tenant, "one")
    services.staff_set_active(user=first, active=False)
    second = _create(tenant, "two")  # the seat was free again
    with pytest.raises(ApiError) as refused:
        services.staff_set_active(user=first, active=True)
    assert refused.value.code == "QUOTA_EXCEEDED"
    first.refresh_from_db()
    assert first.is_active is False
    services.staff_set_active(user=second, active=False)
    assert services.staff_set_active(user=first, active=True).is_active is True
    owner = User.objects.get(tenant=tenant, role=StaffRole.OWNER)
    services.staff_set_active(user=owner, active=False)
    assert services.staff_set_active(user=owner, active=True).is_active is True  # the owner takes no seat


@pytest.mark.django_db
def test_a_tenant_without_a_plan_gets_no_staff_seats():
    owner = OwnerFactory()
    with pytest.raises(ApiError, match="at most 0 agents"):
        _create(owner.tenant, "jane")


# --- every path -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_create_staff_command_is_refused_beyond_the_quota():
    tenant = _tenant(1)
    args = ["create_staff", "--tenant", tenant.slug, "--password", PASSWORD, "--role", "agent"]
    call_command(*args, "--username", "jane")
    with pytest.raises(CommandError, match=r"allows at most 1 agents[\s\S]*agents: the plan allows at most 1"):
        call_command(*args, "--username", "joe")
    assert User.objects.filter(tenant=tenant).exclude(role=StaffRole.OWNER).count() == 1


@pytest.mark.django_db
def test_the_console_refuses_to_reactivate_staff_beyond_the_quota(client):
    tenant = _tenant(1)
    _create(tenant, "active")
    idle = StaffFactory(tenant=tenant, username="idle", is_active=False)
    client.force_login(PlatformOperatorFactory())
    url = f"/admin/tenants/user/{idle.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data["is_active"] = "on"
    response = client.post(url, data)
    assert response.status_code == 200  # the form again, with the error
    assert "allows at most 1 agents" in response.content.decode()
    idle.refresh_from_db()
    assert idle.is_active is False

    User.objects.filter(tenant=tenant, username="active").update(is_active=False)
    response = client.post(url, data)
    assert response.status_code == 302
    idle.refresh_from_db()
    assert idle.is_active is True


@pytest.mark.django_db(transaction=True)
def test_parallel_staff_creates_never_exceed_the_agents_quota():
    require_postgresql()
    tenant = _tenant(3)
    run = run_parallel(lambda i: _create(tenant, f"agent{i}").pk, 10)
    assert run.errors == []
    assert len(run.results) == 3
    assert run.refused == ["QUOTA_EXCEEDED"] * 7
    assert entitlements.for_tenant(tenant).usage("agents") == 3
