"""The two PostgreSQL statements of a delivery batch: claim-and-read, and move-and-log.

A delivery costs database round trips more than anything else on a busy machine, so on PostgreSQL
each step of a batch is one statement whatever the batch size:

* ``claim_and_read``: one conditional ``UPDATE ... RETURNING`` takes the lease on every due
  delivery of the batch (the row lock makes exactly one of several concurrent claimers win: a
  second one re-checks the conditions after the first commits and matches nothing) and, in the
  same statement, reads each claimed delivery with its endpoint, event and tenant id. Its commit
  does not wait for the disk (``synchronous_commit`` off for this statement only): other
  sessions see a commit at once either way, so the claim excludes concurrent claimers just the
  same, and the durable commit of the record that follows flushes it too. What a database crash
  between the two could lose is the claim alone, and then the attempt in flight is made again
  under the same number — where a durable claim would have it made again under the next number
  (after its lease): the same resend, one fsync fewer per batch.
* ``move_and_log``: one ``UPDATE ... FROM (VALUES ...)`` moves every delivery whose lease is still
  ours and feeds the ``INSERT`` of their attempt rows.

Identifiers come from the models' metadata; every value is a bound parameter.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

import psycopg
from django.db import connection

from apps.tenants.models import Tenant
from apps.webhooks.models import EventSequence, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _columns(model, fields, alias: str) -> str:
    return ", ".join(f"{alias}.{_quote(f.column)}" for f in fields)


def _instance(model, fields, values):
    """A model instance from raw column values, through each field's database converters (JSON ...)."""
    converted = []
    for field, value in zip(fields, values, strict=True):
        for converter in field.get_db_converters(connection):
            value = converter(value, field, connection)
        converted.append(value)
    return model.from_db(connection.alias, [f.attname for f in fields], converted)


_DELIVERY_FIELDS = WebhookDelivery._meta.concrete_fields
_ENDPOINT_FIELDS = WebhookEndpoint._meta.concrete_fields
_EVENT_FIELDS = WebhookEvent._meta.concrete_fields
_TENANT_FIELDS = [Tenant._meta.pk, Tenant._meta.get_field("public_id")]


def _fetch(sql: str, params: list) -> list[tuple]:
    """Runs ``sql`` with server-side parameters, so psycopg prepares it on this connection after a few
    runs (its ``prepare_threshold``, 5; ``OPTIONS: {"prepare_threshold": None}`` turns that off, e.g.
    for a PgBouncer older than 1.21) and PostgreSQL plans it once instead of every batch."""
    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@lru_cache(maxsize=1)
def _claim_sql() -> str:
    table = _quote(WebhookDelivery._meta.db_table)
    col = {f.name: _quote(f.column) for f in _DELIVERY_FIELDS}
    return (
        "WITH no_flush_wait AS (SELECT set_config('synchronous_commit', 'off', true)), "  # noqa: S608
        f"claimed AS (UPDATE {table} SET {col['attempt_count']} = {col['attempt_count']} + 1, "
        f"{col['locked_until']} = %s::timestamptz, {col['task_queued_at']} = NULL, "
        f"{col['updated_at']} = %s::timestamptz "
        f"WHERE {col['id']} = ANY(%s::bigint[]) AND {col['status']} = ANY(%s::varchar[]) "
        f"AND {col['locked_until']} IS NULL AND {col['attempt_count']} < {col['max_attempts']} "
        f"AND ({col['next_attempt_at']} IS NULL OR {col['next_attempt_at']} <= %s::timestamptz) RETURNING *) "
        f"SELECT {_columns(WebhookDelivery, _DELIVERY_FIELDS, 'd')}, "
        f"{_columns(WebhookEndpoint, _ENDPOINT_FIELDS, 'w')}, "
        f"{_columns(WebhookEvent, _EVENT_FIELDS, 'e')}, {_columns(Tenant, _TENANT_FIELDS, 't')} "
        f"FROM claimed d CROSS JOIN no_flush_wait "
        f"JOIN {_quote(WebhookEndpoint._meta.db_table)} w ON w.id = d.{col['endpoint']} "
        f"JOIN {_quote(WebhookEvent._meta.db_table)} e ON e.id = d.{col['event']} "
        f"JOIN {_quote(Tenant._meta.db_table)} t ON t.id = d.{col['tenant']}"
    )


def claim_and_read(*, ids: list[int], active: list[str], due_by: datetime, lease: datetime, now: datetime) -> list:
    """Claims the due, unleased deliveries among ``ids``; each returned with endpoint, event and tenant set."""
    rows = _fetch(_claim_sql(), [lease, now, list(ids), list(active), due_by])
    ends = (len(_DELIVERY_FIELDS), len(_DELIVERY_FIELDS) + len(_ENDPOINT_FIELDS))
    ends += (ends[1] + len(_EVENT_FIELDS),)
    claimed = []
    for row in rows:
        delivery = _instance(WebhookDelivery, _DELIVERY_FIELDS, row[: ends[0]])
        delivery.endpoint = _instance(WebhookEndpoint, _ENDPOINT_FIELDS, row[ends[0] : ends[1]])
        delivery.event = _instance(WebhookEvent, _EVENT_FIELDS, row[ends[1] : ends[2]])
        delivery.tenant = _instance(Tenant, _TENANT_FIELDS, row[ends[2] :])
        claimed.append(delivery)
    return claimed


#: Delivery columns ``move_and_log`` writes; a None for these two keeps the current value.
KEPT_WHEN_NONE = ("delivered_at", "next_attempt_at")
MOVED_FIELDS = (
    "status",
    "last_response_status",
    "last_error",
    "locked_until",
    "updated_at",
    "delivered_at",
    "next_attempt_at",
    "task_queued_at",
)


_MOVED = [WebhookDelivery._meta.get_field(name) for name in MOVED_FIELDS]
_ATTEMPT_FIELDS = [f for f in WebhookAttempt._meta.concrete_fields if not f.primary_key]
_LEASE_FIELD = WebhookDelivery._meta.get_field("locked_until")


@lru_cache(maxsize=16)
def _move_sql(rows: int) -> str:
    delivery_meta, attempt_meta = WebhookDelivery._meta, WebhookAttempt._meta
    number_field = delivery_meta.get_field("attempt_count")
    typed = [delivery_meta.get_field("id"), number_field, _LEASE_FIELD, *_MOVED, *_ATTEMPT_FIELDS]
    row = "(" + ", ".join(f"%s::{f.cast_db_type(connection)}" for f in typed) + ")"
    names = ["d_id", "d_number", "d_lease", *(f"m_{f.column}" for f in _MOVED)]
    names += [f"a_{f.column}" for f in _ATTEMPT_FIELDS]
    table = _quote(delivery_meta.db_table)
    sets = ", ".join(
        f"{_quote(f.column)} = COALESCE(data.m_{f.column}, {table}.{_quote(f.column)})"
        if f.name in KEPT_WHEN_NONE
        else f"{_quote(f.column)} = data.m_{f.column}"
        for f in _MOVED
    )
    return (
        f"WITH data ({', '.join(names)}) AS (VALUES {', '.join([row] * rows)}), "  # noqa: S608
        f"owned AS (UPDATE {table} SET {sets} FROM data WHERE {table}.id = data.d_id "
        f"AND {table}.{_quote(number_field.column)} = data.d_number "
        f"AND {table}.{_quote(_LEASE_FIELD.column)} = data.d_lease RETURNING {table}.id) "
        f"INSERT INTO {_quote(attempt_meta.db_table)} ({', '.join(_quote(f.column) for f in _ATTEMPT_FIELDS)}) "
        f"SELECT {', '.join(f'data.a_{f.column}' for f in _ATTEMPT_FIELDS)} "
        f"FROM data JOIN owned ON owned.id = data.d_id "
        f"RETURNING id, {_quote(attempt_meta.get_field('delivery').column)}"
    )


def move_and_log(items: list[tuple[int, int, datetime, dict, WebhookAttempt]]) -> dict[int, int]:
    """For each ``(delivery id, attempt number, lease, fields, attempt)`` whose lease is still ours:
    the delivery updated with ``fields`` (``MOVED_FIELDS``) and ``attempt`` inserted. Returns
    ``{delivery id: attempt id}`` for those; a delivery missing from it was no longer ours."""
    params = []
    for delivery_id, number, lease, fields, attempt in items:
        params += [delivery_id, number, _LEASE_FIELD.get_db_prep_save(lease, connection)]
        params += [f.get_db_prep_save(fields.get(f.name), connection) for f in _MOVED]
        params += [f.get_db_prep_save(f.pre_save(attempt, True), connection) for f in _ATTEMPT_FIELDS]
    return {delivery_id: attempt_id for attempt_id, delivery_id in _fetch(_move_sql(len(items)), params)}


@lru_cache(maxsize=1)
def _lock_sequence_sql() -> str:
    table = _quote(EventSequence._meta.db_table)
    tenant, last = _quote(EventSequence._meta.get_field("tenant").column), _quote("last_seq")
    return (
        f"INSERT INTO {table} ({tenant}, {last}, {_quote('floor_seq')}) VALUES (%s, 0, 0) "  # noqa: S608
        f"ON CONFLICT ({tenant}) DO UPDATE SET {last} = {table}.{last} RETURNING {last}"
    )


@lru_cache(maxsize=1)
def _number_sql() -> str:
    events, sequences = _quote(WebhookEvent._meta.db_table), _quote(EventSequence._meta.db_table)
    tenant, seq = _quote(WebhookEvent._meta.get_field("tenant").column), _quote("seq")
    return (
        f"WITH pending AS (SELECT id, %s::bigint + row_number() OVER (ORDER BY id) AS n FROM {events} "  # noqa: S608
        f"WHERE {tenant} = %s AND {seq} IS NULL ORDER BY id LIMIT %s), "
        f"numbered AS (UPDATE {events} e SET {seq} = pending.n FROM pending WHERE e.id = pending.id RETURNING e.*), "
        f"bumped AS (UPDATE {sequences} SET {_quote('last_seq')} = (SELECT COALESCE(MAX(n), %s::bigint) FROM pending) "
        f"WHERE {_quote(EventSequence._meta.get_field('tenant').column)} = %s) "
        f"SELECT {_columns(WebhookEvent, _EVENT_FIELDS, 'e')}, {_columns(Tenant, _TENANT_FIELDS, 't')} "
        f"FROM numbered e JOIN {_quote(Tenant._meta.db_table)} t ON t.id = e.{tenant} ORDER BY e.{seq}"
    )


def number_pending(*, tenant_id: int, batch: int) -> list[WebhookEvent]:
    """In the caller's transaction: locks the tenant's ``EventSequence`` row (made when missing), then
    gives the oldest ``batch`` committed, unnumbered events the next cursors and moves ``last_seq`` in
    one statement (its snapshot is taken after the lock, so it sees every earlier numbering). The
    numbered events in ``seq`` order, each with its tenant's id and public id set."""
    ((last,),) = _fetch(_lock_sequence_sql(), [tenant_id])
    rows = _fetch(_number_sql(), [last, tenant_id, batch, last, tenant_id])
    split = len(_EVENT_FIELDS)
    numbered = []
    for row in rows:
        event = _instance(WebhookEvent, _EVENT_FIELDS, row[:split])
        event.tenant = _instance(Tenant, _TENANT_FIELDS, row[split:])
        numbered.append(event)
    return numbered
