"""Races (PostgreSQL, real threads): one code gives one token; quotas never overrun; no domain is lost."""

import threading

import pytest
from django.db import close_old_connections, connection
from django.test import Client

from apps.developer.models import AllowedDomain
from apps.oauth import services
from apps.oauth.models import OAuthClient
from apps.oauth.tests.factories import allow_clients, exchange, get_code, make_client
from apps.tenants.tests.factories import OwnerFactory, TenantFactory
from ringnity.api.errors import ApiError
from ringnity.testing.ci import require_postgresql

WORKERS = 6


def _race(work) -> list:
    barrier = threading.Barrier(WORKERS)
    results: list = []

    def run(index):
        try:
            barrier.wait(timeout=10)
            results.append(work(index))
        except Exception as exc:  # reported by the callers' assertions
            results.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
def test_parallel_exchanges_of_one_code_give_exactly_one_token():
    require_postgresql()
    owner = OwnerFactory(tenant=TenantFactory(slug="acme"))
    oauth_client, secret = make_client(owner.tenant)
    code, verifier = get_code(Client(), oauth_client, owner)
    statuses = _race(lambda _i: exchange(Client(), oauth_client, code, verifier, secret=secret).status_code)
    assert sorted(statuses) == [200] + [400] * (WORKERS - 1)


@pytest.mark.django_db(transaction=True)
def test_parallel_client_creation_stops_at_the_quota():
    require_postgresql()
    tenant = TenantFactory(slug="acme")
    allow_clients(tenant, 2)

    def create(index):
        client, _secret = services.oauth_client_create(
            tenant=tenant,
            name=f"App {index}",
            client_type="confidential",
            redirect_uris=["https://app.example.com/cb"],
            allowed_scopes=["openid"],
            require_pkce=None,
        )
        return client.pk

    results = _race(create)
    created = [r for r in results if isinstance(r, int)]
    refused = [r.code for r in results if isinstance(r, ApiError)]
    assert len(created) == 2
    assert refused == ["QUOTA_EXCEEDED"] * (WORKERS - 2)
    assert OAuthClient.objects.filter(tenant=tenant).count() == 2


@pytest.mark.django_db(transaction=True)
def test_parallel_domain_adds_lose_no_domain_and_respect_the_quota():
    require_postgresql()
    tenant = TenantFactory(slug="acme")
    allow_clients(tenant, allowed_domains=4)
    results = _race(lambda i: services.oauth_allowed_domain_add(tenant=tenant, domain=f"site{i}.example.com"))
    added = [r for r in results if isinstance(r, dict) and r["added"]]
    refused = [r.code for r in results if isinstance(r, ApiError)]
    assert len(added) == 4
    assert refused == ["QUOTA_EXCEEDED"] * (WORKERS - 4)
    stored = set(AllowedDomain.objects.filter(tenant=tenant).values_list("domain", flat=True))
    assert stored == {r["domain"] for r in added}
