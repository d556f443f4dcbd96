"""Delivery in-process (tasks eager) to real loopback receivers, every signature checked with `standardwebhooks`."""

import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from apps.webhooks import delivery, outbound, services
from apps.webhooks.events import event_emit
from apps.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from apps.webhooks.tasks import webhook_deliver, webhooks_enqueue_due
from apps.webhooks.tests.factories import endpoint_make, webhook_tenant
from apps.webhooks.tests.receiver import Receiver, Reply
from ringnity.ops.metrics import WEBHOOK_ATTEMPTS

pytestmark = pytest.mark.django_db
PAYLOAD = {"id": "con_1", "name": "Ann"}


@pytest.fixture
def tenant(loopback):
    return webhook_tenant()


def _verify(secret: str, request) -> dict:
    return Webhook(secret).verify(request.body, request.headers)


def _emit(tenant, event_type="contact.created", payload=PAYLOAD, capture=None):
    with capture(execute=True), transaction.atomic():
        return event_emit(tenant=tenant, event_type=event_type, payload=payload)


def test_an_event_reaches_each_subscribed_active_endpoint_signed_the_standard_way(
    tenant, django_capture_on_commit_callbacks
):
    with Receiver() as wildcard, Receiver() as specific, Receiver() as other, Receiver() as inactive:
        _, secret_a = endpoint_make(tenant, url=wildcard.url, events=["*"])
        _, secret_b = endpoint_make(tenant, url=specific.url, events=["contact.created"])
        endpoint_make(tenant, url=other.url, events=["message.created"])
        off, _ = endpoint_make(tenant, url=inactive.url)
        services.endpoint_disable(endpoint=off)
        event = _emit(tenant, capture=django_capture_on_commit_callbacks)
        body = _verify(secret_a, wildcard.wait_for(1)[0])
        assert _verify(secret_b, specific.wait_for(1)[0]) == body
        assert other.requests == []
        assert inactive.requests == []
    assert body == {
        "id": event.public_id,
        "type": "contact.created",
        "timestamp": event.created_at.isoformat().replace("+00:00", "Z"),
        "tenantId": tenant.public_id,
        "data": PAYLOAD,
    }
    headers = {k.lower(): v for k, v in wildcard.requests[0].headers.items()}
    assert headers["user-agent"].startswith("Ringnity-Webhooks/")
    assert headers["x-ringnity-event"] == "contact.created"
    assert headers["content-type"].startswith("application/json")
    assert set(WebhookDelivery.objects.for_tenant(tenant).values_list("status", flat=True)) == {"delivered"}
    assert WebhookAttempt.objects.for_tenant(tenant).count() == 2


def _emit_then_fail(tenant):
    try:
        with transaction.atomic():
            event_emit(tenant=tenant, event_type="contact.created", payload=PAYLOAD)
            raise RuntimeError("the caller's write failed")
    except RuntimeError:
        return
    raise AssertionError("the transaction did not fail")


def test_a_rolled_back_transaction_sends_and_stores_nothing(tenant, django_capture_on_commit_callbacks):
    with Receiver() as receiver:
        endpoint_make(tenant, url=receiver.url)
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            _emit_then_fail(tenant)
        assert callbacks == []
        assert receiver.requests == []
    assert not WebhookEvent.objects.exists()
    assert not WebhookDelivery.objects.exists()


def test_nothing_is_sent_before_commit(tenant, django_capture_on_commit_callbacks):
    with Receiver() as receiver:
        endpoint_make(tenant, url=receiver.url)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            event_emit(tenant=tenant, event_type="contact.created", payload=PAYLOAD)
        assert receiver.requests == []
        assert len(callbacks) == 2  # the delivery tasks; the numbering and the outlets (apps.webhooks.events)
        assert WebhookDelivery.objects.get().status == DeliveryStatus.PENDING
        assert WebhookEvent.objects.get().seq is None


def test_an_event_nobody_subscribes_to_is_not_stored(tenant, django_capture_on_commit_callbacks):
    endpoint_make(tenant, events=["message.created"])
    assert _emit(tenant, capture=django_capture_on_commit_callbacks) is None
    assert not WebhookEvent.objects.exists()


def test_unknown_event_types_are_a_programming_error(tenant):
    with pytest.raises(ValueError, match="unknown webhook event"):
        event_emit(tenant=tenant, event_type="contact.exploded", payload={})


def test_500_then_200_is_two_attempts_under_one_webhook_id(tenant, django_capture_on_commit_callbacks):
    with Receiver([Reply(500, b"boom")]) as receiver:
        _, secret = endpoint_make(tenant, url=receiver.url)
        _emit(tenant, capture=django_capture_on_commit_callbacks)
        row = WebhookDelivery.objects.get()
        assert row.status == DeliveryStatus.RETRYING
        wait = (row.next_attempt_at - timezone.now()).total_seconds()
        assert 3 <= wait <= 6.1  # 5 s ± 20 %
        assert delivery.attempt(delivery_id=row.pk) is None  # not due yet: nothing is sent early
        WebhookDelivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
        webhook_deliver.delay(row.pk)
        first, second = receiver.wait_for(2)
    assert _verify(secret, first) == _verify(secret, second)
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == row.public_id
    attempts = list(WebhookAttempt.objects.for_tenant(tenant).order_by("number"))
    assert [(a.number, a.status, a.response_status) for a in attempts] == [
        (1, "retrying", 500),
        (2, "delivered", 200),
    ]
    assert attempts[0].response_body == "boom"
    assert attempts[0].error_message == "HTTP 500."
    assert WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED


def test_a_delivered_delivery_is_never_sent_again(tenant, django_capture_on_commit_callbacks):
    with Receiver() as receiver:
        endpoint_make(tenant, url=receiver.url)
        _emit(tenant, capture=django_capture_on_commit_callbacks)
        row = WebhookDelivery.objects.get()
        webhook_deliver.delay(row.pk)  # the task running a second time (acks-late redelivery)
        webhook_deliver.delay(row.pk)
        assert len(receiver.requests) == 1
    assert WebhookAttempt.objects.count() == 1


def test_a_redirect_is_a_failure_and_is_not_followed(tenant, django_capture_on_commit_callbacks):
    with Receiver() as target, Receiver([Reply(302, b"", {"Location": "/elsewhere"})]) as receiver:
        receiver.script[0].headers["Location"] = target.url
        endpoint_make(tenant, url=receiver.url)
        _emit(tenant, capture=django_capture_on_commit_callbacks)
        assert target.requests == []
    attempt = WebhookAttempt.objects.get()
    assert attempt.status == DeliveryStatus.RETRYING
    assert attempt.response_status == 302
    assert "not followed" in attempt.error_message


def test_410_gone_disables_the_endpoint(tenant, django_capture_on_commit_callbacks):
    with Receiver([Reply(410)]) as receiver:
        endpoint, _ = endpoint_make(tenant, url=receiver.url)
        _emit(tenant, capture=django_capture_on_commit_callbacks)
    endpoint.refresh_from_db()
    assert endpoint.is_active is False
    assert "410" in endpoint.disabled_reason
    assert WebhookDelivery.objects.get().status == DeliveryStatus.FAILED


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured(tenant, django_capture_on_commit_callbacks, status):
    with Receiver([Reply(status, b"", {"Retry-After": "120"})]) as receiver:
        endpoint_make(tenant, url=receiver.url)
        _emit(tenant, capture=django_capture_on_commit_callbacks)
    wait = (WebhookDelivery.objects.get().next_attempt_at - timezone.now()).total_seconds()
    assert 118 <= wait <= 121


def test_the_retry_schedule_has_jitter_and_eight_attempts():
    assert delivery.MAX_ATTEMPTS == 8
    expected = [5, 300, 1800, 7200, 18000, 36000, 36000]
    for number, base in enumerate(expected, start=1):
        delays = {round(delivery.retry_delay(number), 3) for _ in range(20)}
        assert all(0.8 * base <= d <= 1.2 * base for d in delays)
        assert len(delays) > 1
    assert delivery.retry_delay(1, retry_after=60) == 60


def test_the_eighth_failed_attempt_fails_the_delivery(tenant, django_capture_on_commit_callbacks):
    with Receiver(default=Reply(500)) as receiver:
        endpoint_make(tenant, url=receiver.url)
        with django_capture_on_commit_callbacks(execute=False):
            event_emit(tenant=tenant, event_type="contact.created", payload=PAYLOAD)
        row = WebhookDelivery.objects.get()
        WebhookDelivery.objects.filter(pk=row.pk).update(attempt_count=7)
        outcome = delivery.attempt(delivery_id=row.pk)
    assert outcome.attempt.number == 8
    assert outcome.attempt.status == DeliveryStatus.FAILED
    assert outcome.retry_in is None
    assert WebhookDelivery.objects.get().status == DeliveryStatus.FAILED


def test_a_receiver_slower_than_the_timeout_is_a_failed_attempt_with_its_duration(
    tenant, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOKS_TIMEOUT_SECONDS = 0.5
    with Receiver([Reply(200, sleep=2)]) as receiver:
        endpoint_make(tenant, url=receiver.url)
        _emit(tenant, capture=django_capture_on_commit_callbacks)
    attempt = WebhookAttempt.objects.get()
    assert attempt.status == DeliveryStatus.RETRYING
    assert attempt.response_status is None
    assert "timed out" in attempt.error_message
    assert 500 <= attempt.duration_ms < 1900


def test_only_the_first_2_kb_of_a_response_are_kept(tenant, django_capture_on_commit_callbacks):
    with Receiver([Reply(200, "é".encode() * 20_000)]) as receiver:
        endpoint_make(tenant, url=receiver.url)
        _emit(tenant, capture=django_capture_on_commit_callbacks)
    assert WebhookAttempt.objects.get().response_body == "é" * 2048


def test_five_days_of_failures_disable_the_endpoint(tenant, django_capture_on_commit_callbacks):
    with Receiver(default=Reply(500)) as receiver:
        endpoint, _ = endpoint_make(tenant, url=receiver.url)
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=timezone.now() - timedelta(days=4))
        _emit(tenant, capture=django_capture_on_commit_callbacks)
        endpoint.refresh_from_db()
        assert endpoint.is_active is True
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            failing_since=timezone.now() - timedelta(days=5, minutes=1)
        )
        _emit(tenant, "contact.updated", capture=django_capture_on_commit_callbacks)
    endpoint.refresh_from_db()
    assert endpoint.is_active is False
    assert "5 days" in endpoint.disabled_reason


def test_a_success_clears_the_failing_streak(tenant, django_capture_on_commit_callbacks):
    with Receiver() as receiver:
        endpoint, _ = endpoint_make(tenant, url=receiver.url)
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=timezone.now() - timedelta(days=4))
        _emit(tenant, capture=django_capture_on_commit_callbacks)
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None


def test_after_a_secret_change_both_secrets_verify_for_24_hours(tenant, django_capture_on_commit_callbacks):
    from apps.webhooks import signing

    with Receiver() as receiver:
        endpoint, old = endpoint_make(tenant, url=receiver.url)
        new = signing.secret_generate()
        services.endpoint_update(endpoint=endpoint, fields={"secret": new})
        _emit(tenant, capture=django_capture_on_commit_callbacks)
        request = receiver.wait_for(1)[0]
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    assert _verify(old, request) == _verify(new, request)


def test_a_disabled_endpoint_gets_no_pending_retry(tenant, django_capture_on_commit_callbacks):
    with Receiver([Reply(500)]) as receiver:
        endpoint, _ = endpoint_make(tenant, url=receiver.url)
        _emit(tenant, capture=django_capture_on_commit_callbacks)
        services.endpoint_disable(endpoint=endpoint)
        row = WebhookDelivery.objects.get()
        WebhookDelivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
        assert delivery.attempt(delivery_id=row.pk) is None
        assert len(receiver.requests) == 1
    row.refresh_from_db()
    assert row.status == DeliveryStatus.FAILED
    assert row.last_error == "The endpoint is disabled."


def test_redeliver_makes_one_more_attempt_under_the_same_webhook_id(tenant, django_capture_on_commit_callbacks):
    with Receiver() as receiver:
        endpoint_make(tenant, url=receiver.url)
        _emit(tenant, capture=django_capture_on_commit_callbacks)
        row = WebhookDelivery.objects.get()
        with django_capture_on_commit_callbacks(execute=True):
            services.delivery_redeliver(delivery=row)
        first, second = receiver.wait_for(2)
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == row.public_id
    assert list(WebhookAttempt.objects.order_by("number").values_list("number", "status")) == [
        (1, "delivered"),
        (2, "delivered"),
    ]


def test_the_sweep_enqueues_due_retries_and_lost_tasks(tenant, django_capture_on_commit_callbacks):
    with Receiver([Reply(500)]) as receiver:
        endpoint_make(tenant, url=receiver.url)
        _emit(tenant, capture=django_capture_on_commit_callbacks)
        row = WebhookDelivery.objects.get()
        assert row.task_queued_at is None  # eager mode: the retry is left to the sweep
        with django_capture_on_commit_callbacks(execute=True):
            assert webhooks_enqueue_due() == 0  # not due yet
        WebhookDelivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
        assert webhooks_enqueue_due() == 1
        receiver.wait_for(2)
    assert WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED


def test_an_attempt_cut_short_by_a_lost_worker_is_logged_and_retried_after_its_lease(
    tenant, django_capture_on_commit_callbacks
):
    with Receiver() as receiver:
        endpoint_make(tenant, url=receiver.url)
        with django_capture_on_commit_callbacks(execute=False):
            event_emit(tenant=tenant, event_type="contact.created", payload=PAYLOAD)
        row = WebhookDelivery.objects.get()
        assert delivery._claim(row.pk).number == 1  # the worker dies after claiming
        assert delivery.attempt(delivery_id=row.pk) is None  # leased: nobody else sends
        WebhookDelivery.objects.filter(pk=row.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
        outcome = delivery.attempt(delivery_id=row.pk)
        assert len(receiver.requests) == 1
    lost = WebhookAttempt.objects.get(number=1)
    assert lost.status == DeliveryStatus.RETRYING
    assert lost.error_message == delivery.LOST_ATTEMPT
    assert outcome.attempt.number == 2
    assert outcome.attempt.status == DeliveryStatus.DELIVERED


def test_a_worker_that_lost_its_lease_logs_its_attempt_but_does_not_move_the_delivery(
    tenant, django_capture_on_commit_callbacks
):
    with Receiver() as receiver:
        endpoint_make(tenant, url=receiver.url)
        with django_capture_on_commit_callbacks(execute=False):
            event_emit(tenant=tenant, event_type="contact.created", payload=PAYLOAD)
        row = WebhookDelivery.objects.get()
        stale = delivery._claim(row.pk)
        WebhookDelivery.objects.filter(pk=row.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
        fresh = delivery._claim(row.pk)  # another worker takes over the expired lease
        outcome = delivery._record(stale, outbound.Response(200, "late", {}, "", 70_000), countdown_ok=False)
    assert outcome.attempt.number == 1
    assert outcome.attempt.response_body == "late"
    row.refresh_from_db()
    assert row.status == DeliveryStatus.PENDING  # still the fresh worker's to record
    assert row.locked_until == fresh.lease


def test_the_body_is_utf8_json(tenant, django_capture_on_commit_callbacks):
    with Receiver() as receiver:
        endpoint_make(tenant, url=receiver.url)
        _emit(tenant, payload={"name": "Zoë 🚀"}, capture=django_capture_on_commit_callbacks)
        raw = receiver.wait_for(1)[0].body
    assert "Zoë 🚀".encode() in raw
    assert json.loads(raw.decode("utf-8"))["data"] == {"name": "Zoë 🚀"}


def test_the_daily_prune_drops_old_finished_deliveries_and_keeps_pending_ones(
    tenant, django_capture_on_commit_callbacks
):
    from apps.webhooks.tasks import webhooks_prune

    with Receiver([Reply(200), Reply(500)]) as receiver:
        endpoint_make(tenant, url=receiver.url)
        _emit(tenant, capture=django_capture_on_commit_callbacks)
        _emit(tenant, "contact.updated", capture=django_capture_on_commit_callbacks)
        _emit(tenant, "contact.deleted", capture=django_capture_on_commit_callbacks)
    old = timezone.now() - timedelta(days=31)
    WebhookDelivery.objects.update(created_at=old)
    WebhookEvent.objects.update(created_at=old)
    WebhookDelivery.objects.filter(event_type="contact.deleted").update(created_at=timezone.now())
    assert sorted(WebhookDelivery.objects.values_list("status", flat=True)) == ["delivered", "delivered", "retrying"]
    assert webhooks_prune() == 1  # the old delivered one; the retrying one and the recent one stay
    assert sorted(WebhookDelivery.objects.values_list("event_type", flat=True)) == [
        "contact.deleted",
        "contact.updated",
    ]
    assert WebhookAttempt.objects.count() == 2
    assert WebhookEvent.objects.count() == 2


def test_each_attempt_counts_in_the_webhook_attempts_metric_by_its_outcome(tenant, django_capture_on_commit_callbacks):
    def counted(outcome):
        return WEBHOOK_ATTEMPTS.labels(outcome)._value.get()

    before = {outcome: counted(outcome) for outcome in ("delivered", "retrying")}
    with Receiver() as good, Receiver(default=Reply(status=500)) as bad:
        endpoint_make(tenant, url=good.url)
        endpoint_make(tenant, url=bad.url)
        _emit(tenant, capture=django_capture_on_commit_callbacks)
        good.wait_for(1)
        bad.wait_for(1)
    assert counted("delivered") == before["delivered"] + 1
    assert counted("retrying") == before["retrying"] + 1
