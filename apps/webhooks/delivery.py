"""Attempts of deliveries, a batch at a time: claim under the row lock, send in parallel, record.

1. *claim*: only a ``pending``/``retrying`` delivery that is due, has attempts left and is not
   leased is claimed, by one conditional ``UPDATE`` that counts the attempt and takes a lease
   (``locked_until``); the row lock makes exactly one of several concurrent claimers win. A task
   that runs twice (acks-late redelivery, a sweep re-enqueue) finds the delivery delivered or
   leased and sends nothing. Rare cases (an expired lease, attempts used up, a disabled endpoint)
   are decided under ``SELECT ... FOR UPDATE``. The claim is committed before anything is sent.
2. *send*, outside any transaction and without database work: the batch's signed POSTs at the
   same time on this process's sender threads (``apps.webhooks.outbound``: one deadline each,
   keep-alive per endpoint address).
3. *record*, while the lease is still ours: the attempt row, and the delivery ``delivered``; or
   ``retrying`` at the next point of the schedule (±20 % jitter, at least ``Retry-After`` on
   429/503); or ``failed`` (attempts used up, or 410 Gone, which also disables the endpoint). An
   endpoint whose attempts have all failed for 5 days is disabled, with the reason in the console.

On PostgreSQL steps 1 and 3 are one statement each for the whole batch (``apps.webhooks.statements``).
Nothing here enqueues tasks: ``attempt_many`` returns when each next attempt is due and the task decides.
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.webhooks import outbound, signing, statements
from apps.webhooks.models import (
    RESPONSE_BODY_MAX_CHARS,
    DeliveryStatus,
    EventSequence,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from ringnity.api.outputs import iso_utc
from ringnity.ops import metrics
from ringnity.outbound import Deadline
from ringnity.outbound.threads import process_executor

logger = logging.getLogger("apps.webhooks")

USER_AGENT = "Ringnity-Webhooks/1.0"
#: Waits after attempts 1..7 (seconds); attempt 8 is the last.
RETRY_DELAYS = [5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600]
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
JITTER = 0.2
MAX_RETRY_AFTER = timedelta(hours=24)
SECRET_OVERLAP = timedelta(hours=24)
DISABLE_AFTER_FAILING = timedelta(days=5)
# Retries due within this get a task with a countdown now; later ones are enqueued by the sweep
# when due (a countdown longer than the Redis broker's visibility timeout is redelivered early).
COUNTDOWN_MAX_SECONDS = 10 * 60
STALE_TASK_AFTER = timedelta(minutes=10)
LEASE_MARGIN = timedelta(seconds=60)
ACTIVE = (DeliveryStatus.PENDING, DeliveryStatus.RETRYING)


def signing_secrets(endpoint: WebhookEndpoint, now: datetime | None = None) -> list[str]:
    """The current secret, plus the previous one during the 24 hours after a change."""
    now = now or timezone.now()
    found = [signing.secret_decrypt(endpoint.secret_encrypted)]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret_encrypted and expires and expires > now:
        found.append(signing.secret_decrypt(endpoint.previous_secret_encrypted))
    return found


def event_document(event: WebhookEvent, tenant) -> dict:
    """``{"id", "type", "timestamp", "tenantId", "data"}``: the webhook body, and (plus its cursor) the
    realtime gateway's frame of the event."""
    return {
        "id": event.public_id,
        "type": event.event_type,
        "timestamp": iso_utc(event.created_at),
        "tenantId": tenant.public_id,
        "data": event.payload,
    }


def render_body(event: WebhookEvent, tenant) -> bytes:
    """The webhook body; the same bytes on every attempt of every delivery of ``event``."""
    return json.dumps(event_document(event, tenant), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def deliveries_create(*, tenant, event: WebhookEvent, endpoints, max_attempts: int = MAX_ATTEMPTS) -> list:
    """``pending`` deliveries, due now, marked as having a task (the caller enqueues on commit)."""
    now = timezone.now()
    return WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                tenant=tenant,
                endpoint=endpoint,
                event=event,
                event_type=event.event_type,
                max_attempts=max_attempts,
                next_attempt_at=now,
                task_queued_at=now,
            )
            for endpoint in endpoints
        ]
    )


@dataclass
class Claim:
    delivery: WebhookDelivery  # with endpoint, event and tenant
    number: int
    lease: datetime
    started_at: datetime


LOST_ATTEMPT = "The worker stopped before this attempt finished."


def _lease(now: datetime) -> datetime:
    return now + timedelta(seconds=outbound.timeout_seconds()) + LEASE_MARGIN


def _claim_many(delivery_ids: list[int]) -> list[Claim]:
    """Takes the lease on each due delivery; the ones done, not due, leased or unsendable are left out.

    The common case is one statement for the whole batch (``statements.claim_and_read``; on SQLite
    one ``UPDATE`` and one read per delivery). Rare cases (an expired lease, attempts used up) are
    decided one by one under ``SELECT ... FOR UPDATE`` (``_claim_locked``).
    """
    now = timezone.now()
    lease = _lease(now)
    due_by = now + timedelta(seconds=1)
    if connection.vendor == "postgresql":
        claimed = statements.claim_and_read(ids=delivery_ids, active=list(ACTIVE), due_by=due_by, lease=lease, now=now)
    else:
        claimed = [row for row in map(lambda pk: _claim_one_orm(pk, now, due_by, lease), delivery_ids) if row]
    claims, found = [], {row.pk for row in claimed}
    for row in claimed:
        if row.endpoint.is_active:
            claims.append(Claim(row, row.attempt_count, lease, now))
        else:
            _give_up(row, "The endpoint is disabled.")
    for delivery_id in delivery_ids:
        if delivery_id not in found and (claim := _claim_locked(delivery_id, now, lease)):
            claims.append(claim)
    return claims


def _claim_one_orm(delivery_id: int, now: datetime, due_by: datetime, lease: datetime) -> WebhookDelivery | None:
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=due_by)
    claimed = (
        WebhookDelivery.objects.filter(due, pk=delivery_id, status__in=ACTIVE, locked_until__isnull=True)
        .filter(attempt_count__lt=F("max_attempts"))
        .update(attempt_count=F("attempt_count") + 1, locked_until=lease, task_queued_at=None, updated_at=now)
    )
    if not claimed:
        return None
    return WebhookDelivery.objects.select_related("endpoint", "event", "tenant").get(pk=delivery_id)


def _claim(delivery_id: int) -> Claim | None:
    """The claim of one delivery (see ``_claim_many``), or None."""
    claims = _claim_many([delivery_id])
    return claims[0] if claims else None


def _give_up(delivery: WebhookDelivery, reason: str = "") -> None:
    fields = {"status": DeliveryStatus.FAILED, "locked_until": None, "updated_at": timezone.now()}
    if reason:
        fields["last_error"] = reason
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**fields)


def _claim_locked(delivery_id: int, now: datetime, lease: datetime) -> Claim | None:
    """The rare cases, under the row lock: an expired lease (its attempt is logged as lost), attempts
    used up or a disabled endpoint (the delivery fails), or nothing to do."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("endpoint", "event", "tenant")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status not in ACTIVE:
            return None
        if delivery.next_attempt_at and delivery.next_attempt_at > now + timedelta(seconds=1):
            return None  # an early duplicate; the scheduled task or the sweep sends it when due
        if delivery.locked_until and delivery.locked_until > now:
            return None  # another worker is sending it right now
        if delivery.locked_until:  # that worker stopped mid-attempt: log the attempt it never finished
            WebhookAttempt.objects.get_or_create(
                delivery=delivery,
                number=delivery.attempt_count,
                defaults={
                    "tenant_id": delivery.tenant_id,
                    "endpoint": delivery.endpoint,
                    "event_type": delivery.event_type,
                    "status": DeliveryStatus.RETRYING,
                    "url": delivery.endpoint.url,
                    "error_message": LOST_ATTEMPT,
                    "started_at": now,
                    "finished_at": now,
                },
            )
        if not delivery.endpoint.is_active or delivery.attempt_count >= delivery.max_attempts:
            _give_up(delivery, "" if delivery.endpoint.is_active else "The endpoint is disabled.")
            return None
        delivery.attempt_count += 1
        delivery.locked_until = lease
        delivery.task_queued_at = None
        delivery.save(update_fields=["attempt_count", "locked_until", "task_queued_at", "updated_at"])
    return Claim(delivery, delivery.attempt_count, lease, now)


def _headers(delivery: WebhookDelivery, body: bytes) -> dict[str, str]:
    timestamp = int(timezone.now().timestamp())
    signature = signing.signature_header(signing_secrets(delivery.endpoint), delivery.public_id, timestamp, body)
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-Ringnity-Event": delivery.event_type,
        "webhook-id": delivery.public_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature,
    }


def retry_after_seconds(response: outbound.Response, now: datetime) -> float | None:
    """``Retry-After`` of a 429/503 answer (seconds or an HTTP date), capped at 24 h."""
    if response.status not in (429, 503):
        return None
    raw = (response.headers.get("retry-after") or "").strip()
    if not raw:
        return None
    if raw.isdigit():
        seconds = float(raw)
    else:
        try:
            seconds = (parsedate_to_datetime(raw) - now).total_seconds()
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    return max(0.0, min(seconds, MAX_RETRY_AFTER.total_seconds()))


def retry_delay(attempt_number: int, retry_after: float | None = None) -> float:
    """Seconds after failed attempt ``attempt_number`` (1-based): the schedule ±20 %, or Retry-After if later."""
    base = RETRY_DELAYS[min(attempt_number, len(RETRY_DELAYS)) - 1]
    delay = base * random.uniform(1 - JITTER, 1 + JITTER)  # noqa: S311 (jitter, not security)
    return max(delay, retry_after or 0.0)


def _failure_text(response: outbound.Response) -> str:
    if response.error:
        return response.error
    if 300 <= response.status < 400:
        return f"HTTP {response.status}: redirects are not followed."
    return f"HTTP {response.status}."


def _note_endpoint_result(endpoint_id: int, *, success: bool, gone: bool, now: datetime) -> None:
    endpoints = WebhookEndpoint.objects.filter(pk=endpoint_id)
    if success:
        endpoints.filter(failing_since__isnull=False).update(failing_since=None)
        return
    if gone:
        reason = "The receiver answered 410 Gone; the endpoint was disabled."
        endpoints.filter(is_active=True).update(is_active=False, disabled_reason=reason, disabled_at=now)
        return
    endpoints.filter(failing_since__isnull=True).update(failing_since=now)
    reason = "Every delivery attempt failed for 5 days; the endpoint was disabled."
    endpoints.filter(is_active=True, failing_since__lte=now - DISABLE_AFTER_FAILING).update(
        is_active=False, disabled_reason=reason, disabled_at=now
    )


@dataclass
class Outcome:
    attempt: WebhookAttempt
    #: Seconds until the next attempt when the caller should enqueue it now (countdown), else None.
    retry_in: float | None


def _moved(claim: Claim, response: outbound.Response, now: datetime, *, countdown_ok: bool):
    """What one attempt's result writes: ``(delivery fields, attempt row, retry_in)``."""
    delivery, retry_in = claim.delivery, None
    success = response.status is not None and 200 <= response.status < 300
    error = "" if success else _failure_text(response)[:500]
    fields = {"last_response_status": response.status, "last_error": error, "locked_until": None, "updated_at": now}
    if success:
        fields.update(status=DeliveryStatus.DELIVERED, delivered_at=now)
    elif response.status == 410 or claim.number >= delivery.max_attempts:
        fields["status"] = DeliveryStatus.FAILED
    else:
        delay = retry_delay(claim.number, retry_after_seconds(response, now))
        fields.update(status=DeliveryStatus.RETRYING, next_attempt_at=now + timedelta(seconds=delay))
        if countdown_ok and delay <= COUNTDOWN_MAX_SECONDS:
            fields["task_queued_at"], retry_in = now, delay
    attempt = WebhookAttempt(
        tenant_id=delivery.tenant_id,
        delivery=delivery,
        endpoint=delivery.endpoint,
        event_type=delivery.event_type,
        number=claim.number,
        status=fields["status"],
        url=delivery.endpoint.url,
        response_status=response.status,
        response_body=response.body[:RESPONSE_BODY_MAX_CHARS],
        error_message=error,
        duration_ms=response.duration_ms,
        started_at=claim.started_at,
        finished_at=now,
    )
    return fields, attempt, retry_in


def _record_many(results: list[tuple[Claim, outbound.Response]], *, countdown_ok: bool) -> list[Outcome]:
    """Writes each attempt and moves each delivery on: one statement for the batch in the common case.

    Only while the lease is still ours: a worker paused past it may have been replaced, and then
    only its attempt row is written (the delivery is the new worker's to move).
    """
    now = timezone.now()
    moves = [(claim, *_moved(claim, response, now, countdown_ok=countdown_ok)) for claim, response in results]
    owned = _move_and_log([(c.delivery.pk, c.number, c.lease, fields, attempt) for c, fields, attempt, _ in moves])
    outcomes = []
    for (claim, response), (_, _, attempt, retry_in) in zip(results, moves, strict=True):
        delivery = claim.delivery
        if delivery.pk in owned:
            attempt.pk, attempt._state.adding = owned[delivery.pk], False
        else:
            retry_in = None
            defaults = {f.attname: getattr(attempt, f.attname) for f in attempt._meta.concrete_fields[1:]}
            attempt, _ = WebhookAttempt.objects.update_or_create(
                delivery=delivery, number=claim.number, defaults=defaults
            )
        success = response.status is not None and 200 <= response.status < 300
        if not success or delivery.endpoint.failing_since is not None:
            _note_endpoint_result(delivery.endpoint_id, success=success, gone=response.status == 410, now=now)
        metrics.webhook_attempt(attempt.status)
        outcomes.append(Outcome(attempt, retry_in))
    return outcomes


def _record(claim: Claim, response: outbound.Response, *, countdown_ok: bool) -> Outcome:
    return _record_many([(claim, response)], countdown_ok=countdown_ok)[0]


def _move_and_log(items: list) -> dict[int, int]:
    """``statements.move_and_log`` on PostgreSQL; the ORM, one delivery at a time, elsewhere."""
    if connection.vendor == "postgresql":
        return statements.move_and_log(items)
    owned = {}
    for delivery_id, number, lease, fields, attempt in items:
        with transaction.atomic():
            if WebhookDelivery.objects.filter(pk=delivery_id, attempt_count=number, locked_until=lease).update(
                **fields
            ):
                attempt.save(force_insert=True)
                owned[delivery_id] = attempt.pk
    return owned


# --- sending ---------------------------------------------------------------------------------------

#: Deliveries one task sends at once (an event's deliveries are enqueued in tasks of at most this many).
BATCH_MAX = 10


def _request(claim: Claim) -> tuple[str, bytes, dict[str, str]] | outbound.Response:
    """URL, body and signed headers of the attempt; a failed Response when it cannot be signed."""
    delivery = claim.delivery
    try:
        body = render_body(delivery.event, delivery.tenant)
        return delivery.endpoint.url, body, _headers(delivery, body)
    except ValueError as exc:  # a secret that no longer decrypts (SECRET_KEY changed without a fallback)
        logger.error("webhook delivery %s cannot be signed: %s", delivery.public_id, exc)
        return outbound.Response(None, "", {}, "The endpoint's secret cannot be decrypted.", 0)


def _send_all(claims: list[Claim], *, seconds: float, budget: Deadline) -> list[outbound.Response]:
    """Every claimed attempt's POST at the same time (no database work here): each request gets
    ``seconds`` from its start, and none goes on past ``budget``."""
    requests = [_request(claim) for claim in claims]

    def send(request):
        if isinstance(request, outbound.Response):
            return request
        url, body, headers = request
        return outbound.post(url, body, headers, deadline=budget.within(seconds))

    if len(requests) == 1:
        return [send(requests[0])]
    return list(process_executor("webhook-send", BATCH_MAX).map(send, requests))


def attempt_many(
    *, delivery_ids: list[int], countdown_ok: bool = True, seconds: float | None = None, budget: float | None = None
) -> list[Outcome]:
    """The next attempt of each due delivery nobody else is making, sent in parallel (``BATCH_MAX`` at a time).

    Each request has ``seconds`` (default and at most ``WEBHOOKS_TIMEOUT_SECONDS``) from its start;
    ``budget`` (default: half the lease margin more) bounds each batch from its claim, so no request
    outlives its lease. ``countdown_ok``: the caller will enqueue near retries itself
    (``Outcome.retry_in``); otherwise they are left to the sweep.
    """
    seconds = min(seconds or outbound.timeout_seconds(), outbound.timeout_seconds())
    budget = budget if budget is not None else seconds + LEASE_MARGIN.total_seconds() / 2
    outcomes = []
    for start in range(0, len(delivery_ids), BATCH_MAX):
        claims = _claim_many(delivery_ids[start : start + BATCH_MAX])
        if claims:
            responses = _send_all(claims, seconds=seconds, budget=Deadline(budget))
            outcomes += _record_many(list(zip(claims, responses, strict=True)), countdown_ok=countdown_ok)
    return outcomes


def attempt(*, delivery_id: int, countdown_ok: bool = True) -> Outcome | None:
    """Makes the next attempt of one delivery if it is due and nobody else is making it."""
    outcomes = attempt_many(delivery_ids=[delivery_id], countdown_ok=countdown_ok)
    return outcomes[0] if outcomes else None


def due_delivery_ids(*, batch: int = 500) -> list[int]:
    """For the sweep: due deliveries without a live task (long waits, lost tasks), now marked as queued."""
    now = timezone.now()
    with transaction.atomic():
        due = list(
            WebhookDelivery.objects.cross_tenant()
            .select_for_update(skip_locked=True)
            .filter(status__in=ACTIVE, next_attempt_at__lte=now)
            .filter(Q(task_queued_at__isnull=True) | Q(task_queued_at__lt=now - STALE_TASK_AFTER))
            .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:batch]
        )
        WebhookDelivery.objects.filter(pk__in=due).update(task_queued_at=now)
    return due


PRUNE_BATCH = 5_000


def deliveries_prune(*, older_than: timedelta, events_older_than: timedelta | None = None) -> int:
    """Deletes finished deliveries (with their attempts) older than ``older_than``, then the events no
    delivery refers to any more once they are older than ``events_older_than`` (default: the same);
    how many deliveries.

    Deliveries still pending or retrying are kept whatever their age, and so are their events. Each
    tenant's ``EventSequence.floor_seq`` rises to the highest pruned ``seq``: a cursor below it can no
    longer be replayed. Deletes in batches so a large backlog never holds one long transaction.
    """
    now = timezone.now()
    cutoff = now - older_than
    finished = WebhookDelivery.objects.cross_tenant().filter(created_at__lt=cutoff).exclude(status__in=ACTIVE)
    total = 0
    while batch := list(finished.values_list("pk", flat=True)[:PRUNE_BATCH]):
        with transaction.atomic():
            WebhookAttempt.objects.filter(delivery_id__in=batch).delete()
            WebhookDelivery.objects.filter(pk__in=batch).delete()
        total += len(batch)
    event_cutoff = now - (events_older_than if events_older_than is not None else older_than)
    orphans = WebhookEvent.objects.cross_tenant().filter(
        created_at__lt=event_cutoff, deliveries__isnull=True, seq__isnull=False
    )
    while batch := list(orphans.values_list("pk", "tenant_id", "seq")[:PRUNE_BATCH]):
        floors: dict[int, int] = {}
        for _, tenant_id, seq in batch:
            floors[tenant_id] = max(floors.get(tenant_id, 0), seq)
        with transaction.atomic():
            WebhookEvent.objects.filter(pk__in=[pk for pk, _, _ in batch]).delete()
            for tenant_id, seq in floors.items():
                EventSequence.objects.filter(tenant_id=tenant_id, floor_seq__lt=seq).update(floor_seq=seq)
    return total
