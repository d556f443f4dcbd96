"""Event cursors on PostgreSQL: the two-statement numbering stays gap-free and unique under concurrent writers."""

from itertools import pairwise

import pytest
from django.db import transaction

from apps.runtime.tests.fixtures import ready_tenant
from apps.webhooks import events
from apps.webhooks.models import EventSequence, WebhookEvent
from ringnity.testing.ci import require_postgresql
from ringnity.testing.concurrency import run_parallel

CHAT_FEATURES = {"chat": True, "server_api": True}


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_writers_get_cursors_one_to_twenty_and_the_outlet_each_event_once(monkeypatch):
    require_postgresql()
    tenant = ready_tenant(features=CHAT_FEATURES)
    published = []
    monkeypatch.setitem(
        events._outlets, "probe", events.Outlet("probe", lambda _: True, lambda batch: published.extend(batch))
    )

    def write(index: int):
        with transaction.atomic():
            for part in range(2):
                payload = {"conversationId": f"cnv_{index}", "n": part}
                events.event_emit(tenant=tenant, event_type="conversation.updated", payload=payload)

    run = run_parallel(write, 10)

    assert run.errors == []
    rows = list(WebhookEvent.objects.filter(tenant=tenant).order_by("seq").values_list("seq", "id", "payload"))
    assert [seq for seq, _, _ in rows] == list(range(1, 21))
    for (_, first_id, first), (_, second_id, second) in pairwise(rows):
        if first["conversationId"] == second["conversationId"]:  # one transaction's events in id order
            assert first_id < second_id
            assert first["n"] < second["n"]
    assert EventSequence.objects.get(tenant=tenant).last_seq == 20
    assert sorted(event.seq for event in published) == list(range(1, 21))
    assert {event.tenant.public_id for event in published} == {tenant.public_id}
    assert all(isinstance(event.payload, dict) for event in published)


@pytest.mark.django_db(transaction=True)
def test_numbering_continues_from_the_stored_sequence_and_leaves_other_tenants_alone():
    require_postgresql()
    tenant, other = ready_tenant(features=CHAT_FEATURES), ready_tenant(features=CHAT_FEATURES)
    EventSequence.objects.create(tenant=tenant, last_seq=41, floor_seq=40)
    WebhookEvent.objects.create(tenant=other, event_type="conversation.updated", payload={})
    events.event_emit(tenant=tenant, event_type="conversation.closed", payload={"conversationId": "cnv_1"})
    assert list(WebhookEvent.objects.filter(tenant=tenant).values_list("seq", flat=True)) == [42]
    assert EventSequence.objects.get(tenant=tenant).last_seq == 42
    assert WebhookEvent.objects.get(tenant=other).seq is None  # numbered by its own tenant's next event
