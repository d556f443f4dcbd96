"""The cached Server API key lookup: no query when warm, and a rotated or disabled key stops working
in another process within its one local second (proved with a second process on the same Redis and
database, its clock moved by hand: no timing)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from apps.developer import authentication, services
from apps.developer.tests.factories import ServerApiKeyFactory, server_key_headers
from apps.plans import entitlements
from apps.plans.tests.factories import subscribe
from apps.tenants.services import tenant_set_active
from apps.tenants.tests.factories import TenantFactory
from ringnity.api.secrets import secret_digest
from ringnity.testing.ci import missing

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.django_db


@pytest.fixture
def key():
    tenant = TenantFactory()
    subscribe(tenant, features={"server_api": True})
    return ServerApiKeyFactory(tenant=tenant, scopes=["server:health"])


class CacheCalls:
    """Counts the cache operations (each one Redis round trip with django-redis)."""

    def __init__(self, monkeypatch):
        self.calls: list[str] = []
        for name in ("get", "get_many", "set", "add", "incr", "delete"):
            original = getattr(cache, name)
            monkeypatch.setattr(cache, name, self._counted(name, original))

    def _counted(self, name, original):
        def counted(*args, **kwargs):
            self.calls.append(name)
            return original(*args, **kwargs)

        return counted


def test_a_warm_key_costs_no_query_and_no_redis_round_trip_within_its_local_second(
    api_client, key, django_assert_num_queries, monkeypatch
):
    assert api_client.get("/api/server/health", **server_key_headers(key)).status_code == 200
    calls = CacheCalls(monkeypatch)
    with django_assert_num_queries(0):
        response = api_client.get("/api/server/health", **server_key_headers(key))
    assert response.status_code == 200, response.content
    assert calls.calls == []


def test_after_the_local_second_one_round_trip_revalidates_without_a_query(key, django_assert_num_queries, monkeypatch):
    digest = secret_digest(key.secret)
    assert authentication.cached_active_key(digest).pk == key.pk
    authentication._local.clear()  # what one second does
    calls = CacheCalls(monkeypatch)
    with django_assert_num_queries(0):
        found = authentication.cached_active_key(digest)
    assert found.pk == key.pk
    assert found.tenant.pk == key.tenant.pk
    assert calls.calls == ["get_many"]


def test_each_lookup_gets_its_own_objects(key):
    digest = secret_digest(key.secret)
    first, second = authentication.cached_active_key(digest), authentication.cached_active_key(digest)
    assert first is not second
    assert first.tenant is not second.tenant


def test_entitlements_take_one_redis_round_trip_when_warm(key, monkeypatch, django_assert_num_queries):
    assert entitlements.for_tenant(key.tenant).feature_enabled("server_api")
    calls = CacheCalls(monkeypatch)
    with django_assert_num_queries(0):
        assert entitlements.for_tenant(key.tenant).feature_enabled("server_api")
    assert calls.calls == ["get_many"]


@pytest.mark.parametrize("change", ["rotate", "disable", "suspend tenant"])
def test_a_change_ends_the_cached_lookup_in_this_process(api_client, key, change):
    assert api_client.get("/api/server/health", **server_key_headers(key)).status_code == 200
    if change == "rotate":
        services.server_api_key_rotate(tenant=key.tenant, public_id=key.public_id)
    elif change == "disable":
        services.server_api_key_disable(tenant=key.tenant, public_id=key.public_id)
    else:
        tenant_set_active(tenant=key.tenant, active=False)
    response = api_client.get("/api/server/health", **server_key_headers(key))
    assert response.status_code == 401
    assert response.json()["code"] == "SERVER_API_KEY_INVALID"


def test_an_unknown_secret_is_remembered_as_unknown_without_a_query(key, django_assert_num_queries):
    digest = secret_digest("rn_sk_live_" + "x" * 43)
    assert authentication.cached_active_key(digest) is None
    authentication._local.clear()
    with django_assert_num_queries(0):
        assert authentication.cached_active_key(digest) is None


#: A second worker: its own process, cache client and database connection, and a hand-moved clock.
OTHER_WORKER = """
import json, sys
import django
django.setup()
from apps.developer import authentication
clock = [1000.0]
authentication.time.monotonic = lambda: clock[0]
for line in sys.stdin:
    command, _, argument = line.strip().partition(" ")
    if command == "lookup":
        key = authentication.cached_active_key(argument)
        print(json.dumps(None if key is None else key.public_id), flush=True)
    elif command == "advance":
        clock[0] += float(argument)
        print(json.dumps("ok"), flush=True)
"""


def _require_shared_database_and_redis():
    if connection.vendor == "postgresql" and settings.REDIS_URL:
        return
    reason = "needs PostgreSQL and Redis: a second process must see the same rows and cache"
    missing(reason)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("change", ["rotate", "disable"])
def test_another_process_refuses_a_rotated_or_disabled_key_within_one_second(change):
    _require_shared_database_and_redis()
    tenant = TenantFactory()
    subscribe(tenant, features={"server_api": True})
    key = ServerApiKeyFactory(tenant=tenant, scopes=["server:health"])
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ringnity.settings_test",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CACHE_KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"],
    }
    other = subprocess.Popen(
        [sys.executable, "-c", OTHER_WORKER],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )

    def ask(command: str):
        other.stdin.write(command + "\n")
        other.stdin.flush()
        return json.loads(other.stdout.readline())

    digest = secret_digest(key.secret)
    try:
        assert ask(f"lookup {digest}") == key.public_id  # warm in the other process (local + Redis)
        if change == "rotate":
            services.server_api_key_rotate(tenant=tenant, public_id=key.public_id)
        else:
            services.server_api_key_disable(tenant=tenant, public_id=key.public_id)
        stale = ask(f"lookup {digest}")  # inside its local second the other process may still answer
        ask("advance 1.0")
        after = ask(f"lookup {digest}")
    finally:
        other.stdin.close()
        other.wait(timeout=60)
    assert stale == key.public_id
    assert after is None
