"""Real concurrency on PostgreSQL: single-use entry tokens, one winner per refresh token, quota races.

On SQLite (no row locks, one writer) these skip locally and FAIL under CI=true.
"""

import threading

import pytest
from django.db import connections

from apps.developer import services as developer_services
from apps.developer.models import AllowedDomain, ServerApiKey
from apps.identity import services as auth_services
from apps.identity.sessions import SessionScope, session_issue, session_refresh
from apps.plans.tests.factories import subscribe
from apps.tenants.tests.factories import OwnerFactory, TenantFactory
from ringnity.api.errors import ApiError
from ringnity.testing.ci import require_postgresql

pytestmark = pytest.mark.django_db(transaction=True)
THREADS = 8


@pytest.fixture(autouse=True)
def _postgresql_only():
    require_postgresql()


def _race(target):
    """Runs ``target()`` in THREADS threads released at once; returns results and ApiErrors."""
    barrier = threading.Barrier(THREADS)
    results, errors = [], []
    lock = threading.Lock()

    def run():
        try:
            barrier.wait()
            value = target()
            with lock:
                results.append(value)
        except ApiError as exc:
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results, errors


def test_an_entry_token_is_redeemed_exactly_once_under_concurrency():
    owner = OwnerFactory(tenant=TenantFactory(slug="acme"))
    token, _entry = auth_services.workspace_entry_token_create(owner=owner)
    results, errors = _race(lambda: auth_services.workspace_entry_token_redeem(token=token, ip="127.0.0.1"))
    assert len(results) == 1
    assert len(errors) == THREADS - 1
    assert {e.status for e in errors} == {401}


def test_one_refresh_token_rotates_once_and_the_racing_reuse_revokes_the_family():
    owner = OwnerFactory(tenant=TenantFactory(slug="acme"))
    refresh = session_issue(user=owner, scope=SessionScope.OWNER).refresh
    results, errors = _race(lambda: session_refresh(refresh_token=refresh, scope=SessionScope.OWNER))
    assert len(results) == 1
    assert len(errors) == THREADS - 1
    # The losers presented an already-rotated token: the family is revoked, the winner's token too.
    with pytest.raises(ApiError):
        session_refresh(refresh_token=results[0].refresh, scope=SessionScope.OWNER)


def test_concurrent_key_creation_never_exceeds_the_quota():
    owner = OwnerFactory(tenant=TenantFactory(slug="acme"))
    subscribe(owner.tenant, quotas={"server_api_keys": 3})
    results, errors = _race(
        lambda: developer_services.server_api_key_create(tenant=owner.tenant, name="k", scopes=["server:health"])
    )
    assert len(results) == 3
    assert {e.code for e in errors} == {"QUOTA_EXCEEDED"}
    assert ServerApiKey.objects.for_tenant(owner.tenant).filter(is_active=True).count() == 3


def test_concurrent_domain_replacements_leave_one_whole_list():
    owner = OwnerFactory(tenant=TenantFactory(slug="acme"))
    subscribe(owner.tenant, quotas={"allowed_domains": 10})
    counter = iter(range(THREADS))
    lock = threading.Lock()

    def replace():
        with lock:
            n = next(counter)
        entries = [f"a{n}.example.com", f"b{n}.example.com"]
        return developer_services.allowed_domains_replace(tenant=owner.tenant, entries=entries)

    results, errors = _race(replace)
    assert not errors
    stored = sorted(AllowedDomain.objects.for_tenant(owner.tenant).values_list("domain", flat=True))
    assert stored in [sorted(r) for r in results]
