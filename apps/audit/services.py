"""``audit_record``: one append-only row per privileged write, inside the writer's transaction.

Privileged services are marked ``@audited("<entity>.<verb>")`` (outermost decorator). The mark is a
registry entry and nothing else: ``apps/audit/tests/test_coverage.py`` walks the services of every
app and fails when a function named like a privileged write is not marked, or is marked and never
calls ``audit_record``. The row is written in the caller's transaction, so a write that rolls back
leaves no row.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from apps.audit.context import current_actor, current_origin, note_written
from apps.audit.models import AuditEntry
from apps.audit.redaction import redact

#: ``"module.function"`` → action, for every service marked ``@audited``.
AUDITED: dict[str, str] = {}


def audited(action: str) -> Callable:
    def mark(function: Callable) -> Callable:
        AUDITED[f"{function.__module__}.{function.__name__}"] = action
        return function

    return mark


class _Encoder(DjangoJSONEncoder):
    """Times, decimals and ids as Django writes them; anything else (a stored file, bytes) as its text."""

    def default(self, o):
        try:
            return super().default(o)
        except TypeError:
            return str(o)


def _jsonable(value):
    if hasattr(value, "_meta"):  # a model instance: its public id
        return getattr(value, "public_id", None) or value.pk
    return json.loads(json.dumps(value, cls=_Encoder))


def snapshot(instance, fields: Iterable[str]) -> dict | None:
    """The named fields of ``instance`` as JSON values (related rows by public id); None for no instance."""
    if instance is None:
        return None
    return {name: _jsonable(getattr(instance, name)) for name in fields}


def stored(instance, fields: Iterable[str]) -> dict | None:
    """The named fields as the database holds them now (the ``before`` of an instance edited in a form)."""
    if instance is None or instance.pk is None:
        return None
    row = type(instance)._base_manager.filter(pk=instance.pk).values(*fields).first()
    return _jsonable(row) if row is not None else None


def audit_record(*, action: str, target, before: dict | None = None, after: dict | None = None, tenant=None):
    """Appends the row. ``target`` is a model instance (type from its model, id its public id) or a
    ``(type, id)`` pair; ``before``/``after`` are redacted here whatever the caller passed."""
    if isinstance(target, tuple):
        target_type, target_id = target
    else:
        target_type = target._meta.model_name
        target_id = getattr(target, "public_id", None) or target.pk
    actor = current_actor()
    ip, request_id = current_origin()
    # The caller's transaction, or one of its own: a row is never written half.
    note_written(action)
    with transaction.atomic():
        return AuditEntry.objects.create(
            actor_kind=actor.kind,
            actor_id=actor.id[:150],
            actor_label=actor.label[:254],
            tenant_id=getattr(tenant, "pk", tenant),
            action=action,
            target_type=str(target_type)[:64],
            target_id=str(target_id or "")[:150],
            before=redact(_jsonable(before)) if before is not None else None,
            after=redact(_jsonable(after)) if after is not None else None,
            ip=ip[:64],
            request_id=request_id[:128],
        )


def model_fields(model) -> list[str]:
    """Every stored column of ``model`` but the primary key (related rows by their id column)."""
    return [field.attname for field in model._meta.concrete_fields if not field.primary_key]
