"""Concurrent upserts of one key make one contact (PostgreSQL: real threads, real transactions)."""

import threading

import pytest
from django.db import close_old_connections, connection

from apps.chat.models import Contact
from apps.chat.services import contact_upsert
from apps.runtime.tests.fixtures import ready_tenant
from ringnity.testing.ci import require_postgresql

WORKERS = 10


def _race(tenant, make_fields) -> list:
    barrier = threading.Barrier(WORKERS)
    results, errors = [], []

    def work(index):
        try:
            barrier.wait(timeout=10)
            contact, created = contact_upsert(tenant=tenant, fields=make_fields(index))
            results.append((contact.pk, created))
        except Exception as exc:  # reported by the assertion below
            errors.append(repr(exc))
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return results


@pytest.mark.django_db(transaction=True)
def test_ten_parallel_upserts_with_one_external_id_make_one_contact():
    require_postgresql()
    tenant = ready_tenant()
    results = _race(tenant, lambda i: {"external_id": "crm-race", "name": f"Writer {i}", "phone": "+14155550100"})
    assert Contact.objects.for_tenant(tenant).count() == 1
    assert len({pk for pk, _ in results}) == 1
    assert sum(created for _, created in results) == 1


@pytest.mark.django_db(transaction=True)
def test_ten_parallel_upserts_with_one_email_make_one_contact():
    require_postgresql()
    tenant = ready_tenant()
    results = _race(tenant, lambda i: {"email": "Race@Example.com", "name": f"Writer {i}", "phone": f"+1415555{i:04d}"})
    assert Contact.objects.for_tenant(tenant).count() == 1
    assert sum(created for _, created in results) == 1
