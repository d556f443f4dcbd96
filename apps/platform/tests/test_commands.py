import pytest
from django.core.management import CommandError, call_command

from apps.plans.tests.factories import subscribe
from apps.tenants.models import Department, StaffRole, Tenant, User
from apps.tenants.tests.factories import TenantFactory

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_tenant_creates_tenant_and_owner():
    out = run(
        "create_tenant",
        "--slug",
        "acme",
        "--name",
        "Acme",
        "--owner-email",
        "Boss@Acme.test",
        "--owner-password",
        "a-long-passphrase",
    )
    tenant = Tenant.objects.get(slug="acme")
    owner = User.objects.get(tenant=tenant, role=StaffRole.OWNER)
    assert owner.email == "boss@acme.test"
    assert owner.check_password("a-long-passphrase")
    assert owner.password.startswith("argon2")
    assert tenant.public_id in out


def test_create_tenant_is_idempotent_for_the_same_owner():
    args = (
        "create_tenant",
        "--slug",
        "acme",
        "--name",
        "Acme",
        "--owner-email",
        "boss@acme.test",
        "--owner-password",
        "a-long-passphrase",
    )
    run(*args)
    out = run(*args)
    assert "nothing changed" in out
    assert Tenant.objects.filter(slug="acme").count() == 1


def test_create_tenant_refuses_an_existing_slug_with_another_owner():
    run(
        "create_tenant",
        "--slug",
        "acme",
        "--name",
        "Acme",
        "--owner-email",
        "a@acme.test",
        "--owner-password",
        "a-long-passphrase",
    )
    with pytest.raises(CommandError, match="another owner"):
        run(
            "create_tenant",
            "--slug",
            "acme",
            "--name",
            "Acme",
            "--owner-email",
            "b@acme.test",
            "--owner-password",
            "a-long-passphrase",
        )


def test_create_tenant_lists_every_bad_input_and_writes_nothing():
    with pytest.raises(CommandError) as excinfo:
        run("create_tenant", "--slug", "Bad_Slug", "--name", " ", "--owner-email", "nope", "--owner-password", "short")
    message = str(excinfo.value)
    for field in ("slug:", "name:", "ownerEmail:", "password:"):
        assert field in message
    assert not Tenant.objects.exists()


def test_create_tenant_refuses_reserved_slugs():
    with pytest.raises(CommandError, match="reserved"):
        run(
            "create_tenant",
            "--slug",
            "admin",
            "--name",
            "X",
            "--owner-email",
            "x@x.test",
            "--owner-password",
            "a-long-passphrase",
        )


def _tenant_with_seats(slug):
    tenant = TenantFactory(slug=slug)
    subscribe(tenant, quotas={"agents": 5})
    return tenant


def test_create_staff_adds_an_agent_with_a_department():
    tenant = _tenant_with_seats("acme")
    run(
        "create_staff",
        "--tenant",
        "acme",
        "--username",
        "jane",
        "--password",
        "a-long-passphrase",
        "--role",
        "supervisor",
        "--department",
        "Sales",
    )
    user = User.objects.get(tenant=tenant, username="jane")
    assert user.role == StaffRole.SUPERVISOR
    assert user.department == Department.objects.for_tenant(tenant).get(name="Sales")


def test_create_staff_username_is_unique_within_a_tenant_only():
    _tenant_with_seats("one")
    _tenant_with_seats("two")
    for slug in ("one", "two"):
        run(
            "create_staff", "--tenant", slug, "--username", "jane", "--password", "a-long-passphrase", "--role", "agent"
        )
    with pytest.raises(CommandError, match="already exists"):
        run(
            "create_staff",
            "--tenant",
            "one",
            "--username",
            "jane",
            "--password",
            "a-long-passphrase",
            "--role",
            "agent",
        )
    assert User.objects.filter(username="jane").count() == 2


def test_create_staff_unknown_tenant_is_a_clear_error():
    with pytest.raises(CommandError, match="No tenant with slug 'ghost'"):
        run(
            "create_staff",
            "--tenant",
            "ghost",
            "--username",
            "jane",
            "--password",
            "a-long-passphrase",
            "--role",
            "agent",
        )


def test_createplatformadmin_creates_then_updates_an_operator():
    run(
        "createplatformadmin",
        "--email",
        "Ops@Ringnity.test",
        "--password",
        "a-long-passphrase",
        "--role",
        "platform_support",
    )
    out = run(
        "createplatformadmin",
        "--email",
        "ops@ringnity.test",
        "--password",
        "another-passphrase",
        "--role",
        "platform_admin",
    )
    operator = User.objects.get(tenant__isnull=True)
    assert "Updated" in out
    assert operator.platform_role == "platform_admin"
    assert operator.is_staff
    assert operator.check_password("another-passphrase")


def test_createplatformadmin_refuses_a_weak_password():
    with pytest.raises(CommandError, match="password"):
        run("createplatformadmin", "--email", "ops@ringnity.test", "--password", "123", "--role", "platform_admin")
    assert not User.objects.exists()


def test_seed_demo_refuses_to_run_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        run("seed_demo")
    assert not Tenant.objects.exists()


def test_seed_demo_is_idempotent(settings):
    settings.DEBUG = True
    first = run("seed_demo")
    second = run("seed_demo")
    assert "created tenant 'demo'" in first
    assert "kept tenant 'demo'" in second
    tenant = Tenant.objects.get(slug="demo")
    assert sorted(tenant.users.values_list("role", flat=True)) == ["agent", "agent", "owner"]
