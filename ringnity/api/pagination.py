"""Page/limit pagination (the contract's ``Pagination``) and keyset cursors (``nextCursor``)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from django.db.models import Func, IntegerField, Q, QuerySet, Subquery

from ringnity.api.errors import ApiError, ErrorCode

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
# Keeps OFFSET = (page - 1) * limit far inside PostgreSQL's bigint; nobody pages this deep.
MAX_PAGE = 1_000_000_000


def _int_param(params, name: str, default: int, minimum: int, errors: list[str]) -> int:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        errors.append(f"{name}: must be an integer.")
        return default
    if value < minimum:
        errors.append(f"{name}: must be at least {minimum}.")
        return default
    return value


@dataclass(frozen=True)
class PageParams:
    page: int
    limit: int

    @classmethod
    def from_query(
        cls,
        params,
        *,
        default_limit: int = DEFAULT_LIMIT,
        max_limit: int = MAX_LIMIT,
        error_code: ErrorCode = ErrorCode.VALIDATION_FAILED,
    ) -> PageParams:
        """Reads ``page`` (1..MAX_PAGE) and ``limit`` (1..``max_limit``); out of range is a 400, never clamped.

        The contract's ``limit`` has ``maximum: 100``: a request above it is one the contract forbids,
        so it is refused with the maximum named, like every other out-of-range parameter.
        """
        errors: list[str] = []
        page = _int_param(params, "page", 1, 1, errors)
        if page > MAX_PAGE:
            errors.append(f"page: must be at most {MAX_PAGE}.")
        limit = _int_param(params, "limit", default_limit, 1, errors)
        if limit > max_limit:
            errors.append(f"limit: must be at most {max_limit}.")
        if errors:
            raise ApiError(error_code, "Invalid pagination parameters.", details=errors)
        return cls(page=page, limit=limit)


class _CountAll(Func):
    """``COUNT(*)`` as a plain expression (not an aggregate: it adds no GROUP BY to the subquery)."""

    template = "COUNT(*)"
    output_field = IntegerField()


_TOTAL = "_page_total"


def paginate_page(queryset: QuerySet, params: PageParams, total=None) -> tuple[list, dict]:
    """One query: the page, each row carrying the total as a scalar subquery (PostgreSQL runs it once).

    A page past the end has no row to carry it, and costs a second query (a plain COUNT).
    ``queryset`` must already have a stable order; its rows may be models or ``.values()`` dicts.
    ``total``: an expression that gives the same number without counting (a maintained total), if any.
    """
    offset = (params.page - 1) * params.limit
    if total is None:
        total = Subquery(queryset.order_by().annotate(**{_TOTAL: _CountAll()}).values(_TOTAL))
    items = list(queryset.annotate(**{_TOTAL: total})[offset : offset + params.limit])
    if items:
        total = _total_of(items[0])
        for item in items[1:]:
            _total_of(item)
    else:
        total = queryset.count()
    pagination = {
        "total": total,
        "page": params.page,
        "limit": params.limit,
        "hasMore": offset + len(items) < total,
    }
    return items, pagination


def _total_of(item) -> int:
    """Takes the carried total off a row (dict or model), so it never reaches an output."""
    if isinstance(item, dict):
        return item.pop(_TOTAL)
    total = getattr(item, _TOTAL)
    delattr(item, _TOTAL)
    return total


def encode_cursor(values: list) -> str:
    raw = json.dumps(values, default=str, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, *, size: int) -> list:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        values = None
    if not isinstance(values, list) or len(values) != size:
        raise ApiError(
            ErrorCode.VALIDATION_FAILED, "Invalid cursor.", details=["cursor: not a cursor this API issued."]
        )
    return values


def paginate_cursor(
    queryset: QuerySet,
    *,
    cursor: str | None,
    limit: int,
    fields: tuple[str, str] = ("created_at", "id"),
    descending: bool = True,
) -> tuple[list, str | None]:
    """Keyset pagination over two fields (a timestamp and a unique tie-breaker).

    Stable under inserts: a page never repeats or skips rows, unlike OFFSET.
    """
    first, second = fields
    order = (f"-{first}", f"-{second}") if descending else (first, second)
    queryset = queryset.order_by(*order)
    if cursor:
        first_value, second_value = decode_cursor(cursor, size=2)
        op = "lt" if descending else "gt"
        queryset = queryset.filter(
            Q(**{f"{first}__{op}": first_value}) | Q(**{first: first_value, f"{second}__{op}": second_value})
        )
    rows = list(queryset[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor([getattr(last, first), getattr(last, second)])
    return rows, next_cursor
