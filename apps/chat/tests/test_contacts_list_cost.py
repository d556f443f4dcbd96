"""What one contacts list page costs when warm: one SQL query (page and total together), one cache read and
the request's rate-limit charge (one Redis round trip of its own)."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.chat import services
from apps.developer.tests.factories import ServerApiKeyFactory, server_key_headers
from apps.plans.tests.factories import subscribe
from apps.tenants.tests.factories import TenantFactory
from ringnity.api import throttling

pytestmark = pytest.mark.django_db
URL = "/api/server/contacts"


@pytest.fixture
def headers():
    tenant = TenantFactory()
    subscribe(tenant, features={"server_api": True}, quotas={"contacts": "unlimited"})
    for index in range(7):
        services.contact_upsert(tenant=tenant, fields={"name": f"Person {index}", "phone": f"+1415555{index:04d}"})
    return server_key_headers(ServerApiKeyFactory(tenant=tenant, scopes=["server:contacts:read"]))


def test_a_warm_page_is_one_query_one_cache_read_and_one_rate_charge(api_client, assert_contract, headers, monkeypatch):
    api_client.get(URL, **headers)  # warms the key lookup, the entitlements, the last-used gate, the plan's limits
    reads, charges, round_trips, charging = [], [], [], []

    def recorded(name, original):
        def call(*args, **kwargs):
            if not charging:  # the embedded cache's own reads inside the charge are not the page's
                reads.append(name)
            return original(*args, **kwargs)

        return call

    for name in ("get", "get_many", "set", "add", "incr"):
        monkeypatch.setattr(cache, name, recorded(name, getattr(cache, name)))

    def charge(*args, _original=throttling.window_charge, **kwargs):
        charges.append(1)
        charging.append(1)
        try:
            return _original(*args, **kwargs)
        finally:
            charging.pop()

    monkeypatch.setattr(throttling, "window_charge", charge)
    client = getattr(cache, "client", None)
    over_redis = client is not None and hasattr(client, "get_client")
    if over_redis:  # count what goes over the socket
        connection_class = client.get_client(write=True).connection_pool.connection_class
        send = connection_class.send_packed_command
        monkeypatch.setattr(
            connection_class, "send_packed_command", lambda self, *a, **k: round_trips.append(1) or send(self, *a, **k)
        )
    with CaptureQueriesContext(connection) as queries:
        response = api_client.get(URL, {"limit": 3, "page": 2}, **headers)
    body = assert_contract(response, "listContacts", status=200)["data"]
    assert len(queries) == 1, [q["sql"] for q in queries]
    assert reads == ["get_many"]
    assert charges == [1]
    if over_redis:
        assert len(round_trips) == 2  # the get_many and the rate-limit script
    assert response["RateLimit-Remaining"]
    assert body["pagination"] == {"total": 7, "page": 2, "limit": 3, "hasMore": True}
    assert len(body["contacts"]) == 3
    assert all("_page_total" not in contact for contact in body["contacts"])


def test_a_page_past_the_end_counts_on_its_own(api_client, assert_contract, headers, django_assert_num_queries):
    api_client.get(URL, **headers)
    with django_assert_num_queries(2):
        response = api_client.get(URL, {"limit": 5, "page": 3}, **headers)
    body = assert_contract(response, "listContacts", status=200)["data"]
    assert body == {"contacts": [], "pagination": {"total": 7, "page": 3, "limit": 5, "hasMore": False}}
