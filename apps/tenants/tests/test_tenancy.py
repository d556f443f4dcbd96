import pytest
from django.db import IntegrityError

from apps.tenants.models import Department, Tenant
from apps.tenants.tenancy import TenantScopeMissing
from apps.tenants.tests.factories import DepartmentFactory, TenantFactory

pytestmark = pytest.mark.django_db


def test_for_tenant_returns_only_that_tenants_rows():
    mine, theirs = TenantFactory(), TenantFactory()
    DepartmentFactory(tenant=mine, name="Sales")
    DepartmentFactory(tenant=theirs, name="Sales")
    assert [d.tenant_id for d in Department.objects.for_tenant(mine)] == [mine.pk]


def test_for_tenant_fails_closed_without_a_tenant():
    with pytest.raises(TenantScopeMissing):
        Department.objects.for_tenant(None)
    with pytest.raises(TenantScopeMissing):
        Department.objects.for_tenant(Tenant())


def test_slug_must_be_lowercase_in_the_database():
    with pytest.raises(IntegrityError):
        TenantFactory(slug="Upper")
