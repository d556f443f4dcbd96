"""The call status machine, durations, events, and end under concurrency (PostgreSQL)."""

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.utils import timezone

from apps.calls import services
from apps.calls.api.outputs import CallSessionOutput
from apps.calls.models import CallSession, CallStatus
from apps.calls.tests.factories import call_for, call_tenant, conversation_for, staff_actor, visitor_actor
from ringnity.api.errors import ApiError
from ringnity.testing.ci import require_postgresql
from ringnity.testing.contract import load_contract

ALL = [s.value for s in CallStatus]
ALLOWED = {
    ("started", "answered"),
    ("started", "ended"),
    ("started", "missed"),
    ("started", "failed"),
    ("answered", "ended"),
}


@pytest.fixture
def events(monkeypatch):
    emitted = []
    monkeypatch.setattr(
        services, "event_emit", lambda *, tenant, event_type, payload: emitted.append((event_type, payload))
    )
    return emitted


def _call_in(status, conversation):
    now = timezone.now()
    fields = {"status": status}
    if status in ("answered", "ended"):
        fields["answered_at"] = now
    if status in ("ended", "missed", "failed"):
        fields["ended_at"] = now
    return call_for(conversation, **fields)


def _move(tenant, actor, call, to):
    if to == "answered":
        return services.call_session_answer(tenant=tenant, actor=actor, call_session_id=call.public_id)
    if to == "ended":
        return services.call_session_end(tenant=tenant, actor=actor, call_session_id=call.public_id)
    return services.call_session_fail(tenant=tenant, actor=actor, call_session_id=call.public_id, status=to)


@pytest.mark.django_db
@pytest.mark.parametrize("to", ALL[1:])
@pytest.mark.parametrize("start", ALL)
def test_every_transition_is_allowed_or_409(start, to):
    tenant = call_tenant()
    conversation = conversation_for(tenant)
    call = _call_in(start, conversation)
    actor = staff_actor(tenant)
    if (start, to) in ALLOWED or (start, to) == ("ended", "ended"):  # end is idempotent
        assert _move(tenant, actor, call, to).status == to
    else:
        with pytest.raises(ApiError) as caught:
            _move(tenant, actor, call, to)
        assert (caught.value.status, caught.value.code) == (409, "CONFLICT")
        assert CallSession.objects.get(pk=call.pk).status == start


@pytest.mark.django_db
def test_started_answered_ended_emits_one_event_each_with_the_contract_payload(events):
    tenant = call_tenant()
    visitor_conversation = conversation_for(tenant)
    actor = visitor_actor(visitor_conversation.visitor)
    call = services.call_session_create(
        tenant=tenant, actor=actor, conversation_id=visitor_conversation.public_id, call_type="video"
    )
    CallSession.objects.filter(pk=call.pk).update(started_at=timezone.now() - timedelta(seconds=90))
    services.call_session_answer(tenant=tenant, actor=staff_actor(tenant), call_session_id=call.public_id)
    CallSession.objects.filter(pk=call.pk).update(answered_at=timezone.now() - timedelta(seconds=30))
    ended = services.call_session_end(tenant=tenant, actor=actor, call_session_id=call.public_id, reason="done")
    assert [event for event, _ in events] == ["call.started", "call.answered", "call.ended"]
    assert 30 <= ended.duration_seconds <= 31
    assert ended.end_reason == "done"
    schema = load_contract()["components"]["schemas"]["CallSession"]
    for _, payload in events:
        assert set(schema["required"]) <= set(payload) <= set(schema["properties"])
    assert events[2][1] == CallSessionOutput(ended).data


@pytest.mark.django_db
def test_a_client_start_time_in_the_near_future_is_clamped_to_now():
    tenant = call_tenant()
    conversation = conversation_for(tenant)
    call = services.call_session_create(
        tenant=tenant,
        actor=staff_actor(tenant),
        conversation_id=conversation.public_id,
        call_type="audio",
        started_at=timezone.now() + timedelta(seconds=30),
    )
    assert call.started_at <= timezone.now()


@pytest.mark.django_db
def test_the_database_refuses_a_terminal_call_without_an_end_time():
    conversation = conversation_for(call_tenant())
    with pytest.raises(IntegrityError), transaction.atomic():
        call_for(conversation, status=CallStatus.ENDED)
    with pytest.raises(IntegrityError), transaction.atomic():
        call_for(conversation, status=CallStatus.STARTED, ended_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        call_for(conversation, status=CallStatus.MISSED, ended_at=timezone.now(), answered_at=timezone.now())


# --- concurrency (PostgreSQL) ------------------------------------------------------------------

WORKERS = 8


@pytest.mark.django_db(transaction=True)
def test_parallel_ends_of_one_call_end_it_once_with_one_event(events):
    require_postgresql()
    tenant = call_tenant()
    call = call_for(conversation_for(tenant), status=CallStatus.ANSWERED, answered_at=timezone.now())
    actor = staff_actor(tenant)
    barrier = threading.Barrier(WORKERS)
    results, errors = [], []

    def work(index):
        try:
            barrier.wait(timeout=10)
            ended = services.call_session_end(
                tenant=tenant, actor=actor, call_session_id=call.public_id, reason=f"writer {index}"
            )
            results.append((ended.end_reason, ended.ended_at, ended.duration_seconds))
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
    assert len(results) == WORKERS
    assert len(set(results)) == 1  # every caller saw the one end that happened
    assert [event for event, _ in events] == ["call.ended"]
    row = CallSession.objects.get(pk=call.pk)
    assert (row.status, row.end_reason) == ("ended", results[0][0])
