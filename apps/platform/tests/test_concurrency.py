"""Real concurrency on PostgreSQL: threads, each with its own connection, against committed data.

On SQLite (local quick loops) these skip; under CI=true they fail instead, because
CI must prove the row lock and the idempotency check on the real database.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import pytest
from django.db import connections
from django.db.models import Sum

from apps.billing.models import AiBalance, AiLedgerEntry
from apps.billing.services import ai_balance_top_up, ai_usage_record
from apps.billing.tests.factories import fund_ai
from apps.plans.tests.factories import subscribe
from apps.tenants.tests.factories import TenantFactory
from ringnity.testing.ci import require_postgresql

THREADS = 20


def _parallel(fn, count: int = THREADS) -> list:
    barrier = threading.Barrier(count)

    def run(index):
        try:
            barrier.wait(timeout=10)
            return fn(index)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def _ledger_sum(tenant) -> int:
    return AiLedgerEntry.objects.for_tenant(tenant).aggregate(s=Sum("amount_cents"))["s"] or 0


@pytest.mark.django_db(transaction=True)
def test_parallel_top_ups_add_up_exactly_with_one_ledger_row_each():
    require_postgresql()
    tenant = TenantFactory()  # no AiBalance row yet: the threads also race to create it
    results = _parallel(lambda i: ai_balance_top_up(tenant=tenant, amount_cents=100 + i, note=f"t{i}"))
    expected = sum(100 + i for i in range(THREADS))
    assert AiBalance.objects.get(tenant=tenant).balance_cents == expected
    assert AiLedgerEntry.objects.for_tenant(tenant).count() == THREADS
    assert _ledger_sum(tenant) == expected
    # Serialised: every "before" is some other top-up's "after", and the chain covers 0..expected.
    chain = sorted((r.balance_before_cents, r.balance_after_cents) for r in results)
    assert chain[0][0] == 0
    assert chain[-1][1] == expected
    assert all(a[1] == b[0] for a, b in pairwise(chain))


@pytest.mark.django_db(transaction=True)
def test_parallel_repeats_of_one_idempotency_key_add_once():
    require_postgresql()
    tenant = TenantFactory()
    fund_ai(tenant, 1000)
    results = _parallel(lambda i: ai_balance_top_up(tenant=tenant, amount_cents=500, idempotency_key="same-key"))
    assert AiBalance.objects.get(tenant=tenant).balance_cents == 1500
    assert AiLedgerEntry.objects.for_tenant(tenant).filter(idempotency_key="same-key").count() == 1
    assert {(r.balance_before_cents, r.balance_after_cents) for r in results} == {(1000, 1500)}
    assert sum(1 for r in results if not r.replayed) == 1


@pytest.mark.django_db(transaction=True)
def test_parallel_top_ups_and_overage_debits_keep_balance_equal_to_ledger():
    require_postgresql()
    tenant = TenantFactory()
    subscribe(tenant, features={"ai_chat": True}, quotas={"ai_chat_replies": "disabled"})
    fund_ai(tenant, 10_000)

    def work(index):
        if index % 2:
            return ai_balance_top_up(tenant=tenant, amount_cents=300)
        return ai_usage_record(tenant=tenant, kind="chat_reply", input_tokens=300_000, output_tokens=100_000)

    _parallel(work)
    balance = AiBalance.objects.get(tenant=tenant).balance_cents
    assert balance == _ledger_sum(tenant)
    # 10 debits of 105 cents each (300k/100k tokens = 100 reply units = 1.05 USD retail)
    assert balance == 10_000 + 10 * 300 - 10 * 105
