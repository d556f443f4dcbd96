"""The contacts list's total comes from ``ContactTotal``, which PostgreSQL's triggers keep equal to the count."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.chat import services
from apps.chat.models import Contact, ContactTotal
from apps.developer.tests.factories import ServerApiKeyFactory, server_key_headers
from apps.plans.tests.factories import subscribe
from apps.tenants.tests.factories import TenantFactory
from ringnity.testing.ci import require_postgresql

pytestmark = pytest.mark.django_db
URL = "/api/server/contacts"


def _tenant():
    tenant = TenantFactory()
    subscribe(tenant, features={"server_api": True}, quotas={"contacts": "unlimited"})
    return tenant


def _kept(tenant) -> int:
    return ContactTotal.objects.filter(tenant=tenant).values_list("total", flat=True).first() or 0


def test_every_way_of_adding_and_removing_contacts_keeps_the_total_and_the_list_reads_it(api_client, assert_contract):
    require_postgresql("needs PostgreSQL's statement triggers")
    tenant, other = _tenant(), _tenant()
    headers = server_key_headers(ServerApiKeyFactory(tenant=tenant, scopes=["server:contacts:read"]))
    for index in range(3):
        services.contact_upsert(tenant=tenant, fields={"name": f"P {index}", "phone": f"+1415555{index:04d}"})
    for index in range(2):
        Contact.objects.create(tenant=tenant, name=f"C {index}", phone="+14155550998")
    Contact.objects.bulk_create([Contact(tenant=tenant, name=f"B {i}", phone="+14155550999") for i in range(4)])
    Contact.objects.bulk_create([Contact(tenant=other, name=f"O {i}", phone="+14155550997") for i in range(5)])
    services.contact_delete(contact=Contact.objects.get(tenant=tenant, name="C 0"))
    Contact.objects.filter(tenant=tenant, name__startswith="B ").exclude(name="B 0").delete()
    assert Contact.objects.filter(tenant=tenant).count() == 5  # P 0-2, C 1, B 0
    assert _kept(tenant) == 5
    assert _kept(other) == 5

    api_client.get(URL, **headers)  # warm caches
    with CaptureQueriesContext(connection) as queries:
        body = assert_contract(api_client.get(URL, {"limit": 2}, **headers), "listContacts", status=200)["data"]
    assert body["pagination"] == {"total": 5, "page": 1, "limit": 2, "hasMore": True}
    assert len(queries) == 1
    assert "COUNT(" not in queries[0]["sql"].upper()  # the kept total, not a count of the tenant's rows
    filtered = api_client.get(URL, {"search": "P "}, **headers).json()["data"]
    assert filtered["pagination"]["total"] == 3  # a filtered list counts its matches
    other.delete()
    assert not ContactTotal.objects.filter(tenant_id=other.pk).exists()


def test_a_tenant_without_contacts_lists_a_total_of_zero(api_client, assert_contract):
    tenant = _tenant()
    headers = server_key_headers(ServerApiKeyFactory(tenant=tenant, scopes=["server:contacts:read"]))
    body = assert_contract(api_client.get(URL, **headers), "listContacts", status=200)["data"]
    assert body == {"contacts": [], "pagination": {"total": 0, "page": 1, "limit": 50, "hasMore": False}}
