"""What one contacts list page costs when warm: one SQL query (page and total together), one cache read."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.chat import services
from apps.developer.tests.factories import ServerApiKeyFactory, server_key_headers
from apps.plans.tests.factories import subscribe
from apps.tenants.tests.factories import TenantFactory

pytestmark = pytest.mark.django_db
URL = "/api/server/contacts"


@pytest.fixture
def headers():
    tenant = TenantFactory()
    subscribe(tenant, features={"server_api": True}, quotas={"contacts": "unlimited"})
    for index in range(7):
        services.contact_upsert(tenant=tenant, fields={"name": f"Person {index}", "phone": f"+1415555{index:04d}"})
    return server_key_headers(ServerApiKeyFactory(tenant=tenant, scopes=["server:contacts:read"]))


def test_a_warm_page_is_one_query_and_one_cache_read(api_client, assert_contract, headers, monkeypatch):
    api_client.get(URL, **headers)  # warms the key lookup, the entitlements and the last-used gate
    reads = []
    for name in ("get", "get_many", "set", "add", "incr"):
        original = getattr(cache, name)
        monkeypatch.setattr(cache, name, lambda *a, _o=original, _n=name, **k: reads.append(_n) or _o(*a, **k))
    with CaptureQueriesContext(connection) as queries:
        response = api_client.get(URL, {"limit": 3, "page": 2}, **headers)
    body = assert_contract(response, "listContacts", status=200)["data"]
    assert len(queries) == 1, [q["sql"] for q in queries]
    assert reads == ["get_many"]
    assert body["pagination"] == {"total": 7, "page": 2, "limit": 3, "hasMore": True}
    assert len(body["contacts"]) == 3
    assert all("_page_total" not in contact for contact in body["contacts"])


def test_a_page_past_the_end_counts_on_its_own(api_client, assert_contract, headers, django_assert_num_queries):
    api_client.get(URL, **headers)
    with django_assert_num_queries(2):
        response = api_client.get(URL, {"limit": 5, "page": 3}, **headers)
    body = assert_contract(response, "listContacts", status=200)["data"]
    assert body == {"contacts": [], "pagination": {"total": 7, "page": 3, "limit": 5, "hasMore": False}}
