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

from django.db import connection

from apps.tenants.models import Tenant
from apps.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent


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


def claim_and_read(*, ids: list[int], active: list[str], due_by: datetime, lease: datetime, now: datetime) -> list:
    """Claims the due, unleased deliveries among ``ids``; each returned with endpoint, event and tenant set."""
    delivery_fields = WebhookDelivery._meta.concrete_fields
    endpoint_fields = WebhookEndpoint._meta.concrete_fields
    event_fields = WebhookEvent._meta.concrete_fields
    tenant_fields = [Tenant._meta.pk, Tenant._meta.get_field("public_id")]
    table = _quote(WebhookDelivery._meta.db_table)
    col = {f.name: _quote(f.column) for f in delivery_fields}
    sql = (
        "WITH no_flush_wait AS (SELECT set_config('synchronous_commit', 'off', true)), "  # noqa: S608
        f"claimed AS (UPDATE {table} SET {col['attempt_count']} = {col['attempt_count']} + 1, "
        f"{col['locked_until']} = %s, {col['task_queued_at']} = NULL, {col['updated_at']} = %s "
        f"WHERE {col['id']} = ANY(%s) AND {col['status']} = ANY(%s) AND {col['locked_until']} IS NULL "
        f"AND {col['attempt_count']} < {col['max_attempts']} "
        f"AND ({col['next_attempt_at']} IS NULL OR {col['next_attempt_at']} <= %s) RETURNING *) "
        f"SELECT {_columns(WebhookDelivery, delivery_fields, 'd')}, {_columns(WebhookEndpoint, endpoint_fields, 'w')}, "
        f"{_columns(WebhookEvent, event_fields, 'e')}, {_columns(Tenant, tenant_fields, 't')} "
        f"FROM claimed d CROSS JOIN no_flush_wait "
        f"JOIN {_quote(WebhookEndpoint._meta.db_table)} w ON w.id = d.{col['endpoint']} "
        f"JOIN {_quote(WebhookEvent._meta.db_table)} e ON e.id = d.{col['event']} "
        f"JOIN {_quote(Tenant._meta.db_table)} t ON t.id = d.{col['tenant']}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [lease, now, list(ids), list(active), due_by])
        rows = cursor.fetchall()
    claimed = []
    for row in rows:
        cut = [len(delivery_fields), len(endpoint_fields), len(event_fields)]
        delivery = _instance(WebhookDelivery, delivery_fields, row[: cut[0]])
        endpoint = _instance(WebhookEndpoint, endpoint_fields, row[cut[0] : cut[0] + cut[1]])
        event = _instance(WebhookEvent, event_fields, row[cut[0] + cut[1] : sum(cut)])
        tenant = _instance(Tenant, tenant_fields, row[sum(cut) :])
        delivery.endpoint, delivery.event, delivery.tenant = endpoint, event, tenant
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


def move_and_log(items: list[tuple[int, int, datetime, dict, WebhookAttempt]]) -> dict[int, int]:
    """For each ``(delivery id, attempt number, lease, fields, attempt)`` whose lease is still ours:
    the delivery updated with ``fields`` (``MOVED_FIELDS``) and ``attempt`` inserted. Returns
    ``{delivery id: attempt id}`` for those; a delivery missing from it was no longer ours."""
    delivery_meta, attempt_meta = WebhookDelivery._meta, WebhookAttempt._meta
    moved = [delivery_meta.get_field(name) for name in MOVED_FIELDS]
    attempt_fields = [f for f in attempt_meta.concrete_fields if not f.primary_key]
    id_field, number_field, lease_field = (delivery_meta.get_field(n) for n in ("id", "attempt_count", "locked_until"))
    typed = [id_field, number_field, lease_field, *moved, *attempt_fields]
    row = "(" + ", ".join(f"%s::{f.cast_db_type(connection)}" for f in typed) + ")"
    params = []
    for delivery_id, number, lease, fields, attempt in items:
        params += [delivery_id, number, lease_field.get_db_prep_save(lease, connection)]
        params += [f.get_db_prep_save(fields.get(f.name), connection) for f in moved]
        params += [f.get_db_prep_save(f.pre_save(attempt, True), connection) for f in attempt_fields]
    names = [
        "d_id",
        "d_number",
        "d_lease",
        *(f"m_{f.column}" for f in moved),
        *(f"a_{f.column}" for f in attempt_fields),
    ]
    table = _quote(delivery_meta.db_table)
    sets = ", ".join(
        f"{_quote(f.column)} = COALESCE(data.m_{f.column}, {table}.{_quote(f.column)})"
        if f.name in KEPT_WHEN_NONE
        else f"{_quote(f.column)} = data.m_{f.column}"
        for f in moved
    )
    sql = (
        f"WITH data ({', '.join(names)}) AS (VALUES {', '.join([row] * len(items))}), "  # noqa: S608
        f"owned AS (UPDATE {table} SET {sets} FROM data WHERE {table}.id = data.d_id "
        f"AND {table}.{_quote(number_field.column)} = data.d_number "
        f"AND {table}.{_quote(lease_field.column)} = data.d_lease RETURNING {table}.id) "
        f"INSERT INTO {_quote(attempt_meta.db_table)} ({', '.join(_quote(f.column) for f in attempt_fields)}) "
        f"SELECT {', '.join(f'data.a_{f.column}' for f in attempt_fields)} "
        f"FROM data JOIN owned ON owned.id = data.d_id "
        f"RETURNING id, {_quote(attempt_meta.get_field('delivery').column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {delivery_id: attempt_id for attempt_id, delivery_id in cursor.fetchall()}
