import pytest

from apps.tenants.models import Department
from apps.tenants.tests.factories import DepartmentFactory, TenantFactory
from ringnity.api.errors import ApiError
from ringnity.api.pagination import PageParams, paginate_cursor, paginate_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def departments():
    tenant = TenantFactory()
    for index in range(7):
        DepartmentFactory(tenant=tenant, name=f"D{index}")
    return Department.objects.for_tenant(tenant).order_by("id")


def test_page_params_default_and_maximum():
    assert PageParams.from_query({}) == PageParams(page=1, limit=50)
    assert PageParams.from_query({"page": "2", "limit": "100"}) == PageParams(page=2, limit=100)
    with pytest.raises(ApiError) as excinfo:
        PageParams.from_query({"page": "2", "limit": "500"})
    assert excinfo.value.details == ["limit: must be at most 100."]


def test_page_params_list_every_bad_parameter():
    with pytest.raises(ApiError) as excinfo:
        PageParams.from_query({"page": "0", "limit": "x"})
    assert excinfo.value.details == ["page: must be at least 1.", "limit: must be an integer."]


def test_page_params_refuse_pages_beyond_any_real_offset():
    with pytest.raises(ApiError) as excinfo:
        PageParams.from_query({"page": str(2**63)})
    assert excinfo.value.details == ["page: must be at most 1000000000."]


def test_paginate_page_reports_total_and_has_more(departments):
    items, pagination = paginate_page(departments, PageParams(page=2, limit=3))
    assert [d.name for d in items] == ["D3", "D4", "D5"]
    assert pagination == {"total": 7, "page": 2, "limit": 3, "hasMore": True}
    items, pagination = paginate_page(departments, PageParams(page=3, limit=3))
    assert [d.name for d in items] == ["D6"]
    assert pagination["hasMore"] is False


def test_cursor_pages_cover_every_row_once_even_with_equal_timestamps(departments):
    departments.update(created_at=departments.first().created_at)  # ties broken by id
    seen, cursor = [], None
    for _ in range(10):
        rows, cursor = paginate_cursor(departments, cursor=cursor, limit=3)
        seen.extend(d.name for d in rows)
        if cursor is None:
            break
    assert seen == [f"D{i}" for i in reversed(range(7))]


def test_a_tampered_cursor_is_a_validation_error(departments):
    with pytest.raises(ApiError) as excinfo:
        paginate_cursor(departments, cursor="not-a-cursor", limit=3)
    assert excinfo.value.code == "VALIDATION_FAILED"
