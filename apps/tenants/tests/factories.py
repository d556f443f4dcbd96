import factory

from apps.tenants.models import Department, PlatformRole, StaffRole, Tenant, User
from ringnity.testing.passwords import hashed

DEFAULT_PASSWORD = "correct-horse-battery"


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant

    slug = factory.Sequence(lambda n: f"tenant-{n}")
    name = factory.Sequence(lambda n: f"Tenant {n}")
    company_name = factory.LazyAttribute(lambda o: f"{o.name} Ltd")
    email = factory.LazyAttribute(lambda o: f"hello@{o.slug}.example.com")


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Department {n}")


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    tenant = factory.SubFactory(TenantFactory)
    username = factory.Sequence(lambda n: f"agent{n}")
    name = factory.LazyAttribute(lambda o: o.username.capitalize())
    role = StaffRole.AGENT
    password = factory.LazyFunction(lambda: hashed(DEFAULT_PASSWORD))


class OwnerFactory(StaffFactory):
    username = "owner"
    role = StaffRole.OWNER
    email = factory.Sequence(lambda n: f"owner{n}@example.com")


class PlatformOperatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    tenant = None
    email = factory.Sequence(lambda n: f"operator{n}@ringnity.example")
    name = "Operator"
    platform_role = PlatformRole.ADMIN
    is_staff = True
    password = factory.LazyFunction(lambda: hashed(DEFAULT_PASSWORD))
