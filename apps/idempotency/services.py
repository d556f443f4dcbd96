"""Writes of the idempotency records: claim a key, keep the first answer, purge expired rows.

How a repeat is answered (``idempotent_run``): the first request inserts the record and runs the operation
in the same transaction. A parallel repeat's insert meets the unique constraint and PostgreSQL makes it
wait for that transaction: when the first commits, the repeat reads its stored answer and replays it; when
the first fails (rolled back), the repeat runs the operation itself. So ten parallel requests with one key
create one row and all get the same answer. A repeat waits at most ``WAIT_SECONDS`` (then 409 ``CONFLICT``
with ``Retry-After``, the draft's answer for a request still in flight).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone

from apps.idempotency.models import IdempotencyRecord
from ringnity.api.errors import ApiError, ErrorCode
from ringnity.api.secrets import Sealer

TTL = timedelta(hours=24)
WAIT_SECONDS = 30
#: Headers an answer is replayed without: the renderer and the middleware set them again.
_NOT_REPLAYED = {"content-type", "content-length", "vary", "allow"}
#: Answers may hold a secret shown once (a webhook's signing secret): kept encrypted, like the secret itself.
_SEALER = Sealer(salt=b"ringnity-idempotency", info=b"idempotent-answer-at-rest")


def _scope(*, credential: str, method: str, path: str) -> str:
    return hashlib.sha256(f"{credential}\n{method}\n{path}".encode()).hexdigest()


def _set_lock_timeout(seconds: int | None) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            if seconds is None:
                cursor.execute("SET LOCAL lock_timeout TO DEFAULT")
            else:
                cursor.execute(f"SET LOCAL lock_timeout = '{int(seconds)}s'")


def _in_flight() -> ApiError:
    return ApiError(
        ErrorCode.CONFLICT,
        "A request with this Idempotency-Key is still in progress; retry after it finishes.",
        status=409,
        headers={"Retry-After": "1"},
    )


def _reused() -> ApiError:
    return ApiError(
        ErrorCode.IDEMPOTENCY_KEY_REUSED,
        "This Idempotency-Key was already used with a different request; use a new key for a new request.",
        status=409,
    )


@transaction.atomic
def idempotent_run(
    *,
    tenant,
    credential: str,
    method: str,
    path: str,
    key: str,
    fingerprint: str,
    run: Callable[[], object],
) -> tuple[object | None, IdempotencyRecord | None]:
    """``(answer, None)`` after running ``run`` under a fresh claim, or ``(None, record)`` to replay."""
    now = timezone.now()
    scope = _scope(credential=credential, method=method, path=path)
    found = IdempotencyRecord.objects.for_tenant(tenant).filter(scope=scope, key=key)
    found.filter(expires_at__lte=now).delete()
    _set_lock_timeout(WAIT_SECONDS)
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                tenant=tenant,
                scope=scope,
                key=key,
                method=method,
                path=path[:500],
                fingerprint=fingerprint,
                status_code=0,
                expires_at=now + TTL,
            )
    except IntegrityError:
        record = None
    except OperationalError as exc:  # lock_timeout: the first request is still running
        raise _in_flight() from exc
    _set_lock_timeout(None)
    if record is None:
        stored = found.first()
        if stored is None:  # the first request's record expired or went away meanwhile
            raise _in_flight()
        if stored.fingerprint != fingerprint:
            raise _reused()
        return None, stored
    answer = run()
    idempotency_record_complete(record=record, answer=answer)
    return answer, None


def idempotency_record_complete(*, record: IdempotencyRecord, answer) -> None:
    """Keeps a 2xx answer (status, data, headers) on the claimed record; any other answer releases the key."""
    status = getattr(answer, "status_code", 500)
    if not 200 <= status < 300 or not hasattr(answer, "data"):
        record.delete()
        return
    headers = {name: value for name, value in answer.headers.items() if name.lower() not in _NOT_REPLAYED}
    record.status_code = status
    record.answer_sealed = _SEALER.seal(json.dumps({"data": answer.data, "headers": headers}, cls=DjangoJSONEncoder))
    record.save(update_fields=["status_code", "answer_sealed"])


def stored_answer(record: IdempotencyRecord) -> tuple[object, dict[str, str]]:
    """The kept answer's ``(data, headers)``."""
    answer = json.loads(_SEALER.open(record.answer_sealed))
    return answer["data"], answer["headers"]


def idempotency_records_purge(*, now: datetime | None = None) -> int:
    """Deletes expired records (idempotent: a second run finds none); returns how many."""
    deleted, _ = IdempotencyRecord.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted
