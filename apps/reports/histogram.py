"""Mergeable latency histograms: how medians and p90s survive daily rollups.

A median cannot be summed: the median of thirty daily medians is not the month's median.
Two ways keep it computable from pre-aggregated data:

1. a per-conversation fact table (exact ``percentile_cont`` over every conversation of the
   period: the cost grows with the number of conversations, so a 5x busier tenant reads 5x
   more rows per report);
2. histogram buckets per (tenant, day, agent): counts per bucket add up across days and
   agents, and a percentile is read from the merged counts. The cost is bounded by
   days x agents x non-empty buckets, whatever the volume.

We keep (2), because the report must not slow down as a tenant's data grows. Buckets keep
two significant digits of the value in seconds: values under 100 s are exact (1 s wide), and
above that a bucket is at most 10 % of its floor wide (100-109, ..., 990-999, 1000-1099, ...).
A bucket's key is its floor in seconds, so a row is readable on its own and no bucket table
needs a migration to change. Up to 30 days there are about 550 possible buckets.

Percentiles use the same definition as PostgreSQL's ``percentile_cont`` (linear interpolation
between the two closest ranks). Values inside a bucket wider than 1 s are placed evenly over
the bucket (the ``i``-th of ``c`` values at ``floor + width * (i + 0.5) / c``), so the error is
at most half a bucket width (5 %); for values under 100 s the result is exact.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

FIRST_RESPONSE = 1
RESOLUTION = 2
METRICS = {FIRST_RESPONSE: "firstResponseSeconds", RESOLUTION: "resolutionSeconds"}
EXACT_BELOW = 100


def bucket_width(floor: int) -> int:
    if floor < EXACT_BELOW:
        return 1
    return 10 ** (len(str(int(floor))) - 2)


def bucket_floor(seconds: float) -> int:
    """The bucket a value falls in (negative values, from clock skew, count as 0)."""
    value = max(0, int(seconds))
    if value < EXACT_BELOW:
        return value
    width = 10 ** (len(str(value)) - 2)
    return value - value % width


def bucket_floor_sql(expression: str) -> str:
    """The same function in SQL (PostgreSQL and SQLite), over an integer-seconds expression."""
    v = f"(CASE WHEN ({expression}) < 0 THEN 0 ELSE CAST({expression} AS INTEGER) END)"
    # width = 10 ** (digits - 2): digits from the string length, which both databases compute.
    width = f"(CASE WHEN {v} < {EXACT_BELOW} THEN 1 ELSE {_pow10(f'LENGTH(CAST({v} AS TEXT)) - 2')} END)"
    return f"({v} - ({v} % {width}))"


def _pow10(exponent_sql: str) -> str:
    # No portable POWER for integers: seconds fit in 10 digits, so spell the cases out.
    cases = " ".join(f"WHEN {n} THEN {10**n}" for n in range(1, 12))
    return f"(CASE {exponent_sql} {cases} ELSE 1 END)"


def _value_at(rank: int, buckets: list[tuple[int, int]]) -> float:
    seen = 0
    for floor, count in buckets:
        if rank < seen + count:
            width = bucket_width(floor)
            if width == 1:
                return float(floor)
            return floor + width * ((rank - seen) + 0.5) / count
        seen += count
    raise IndexError(rank)


def percentile(buckets: Iterable[tuple[int, int]], fraction: float) -> float | None:
    """``percentile_cont(fraction)`` of the values the (floor, count) pairs describe; None if empty."""
    merged: dict[int, int] = {}
    for floor, count in buckets:
        if count:
            merged[floor] = merged.get(floor, 0) + count
    ordered = sorted(merged.items())
    total = sum(count for _, count in ordered)
    if not total:
        return None
    position = fraction * (total - 1)
    low, high = math.floor(position), math.ceil(position)
    low_value = _value_at(low, ordered)
    if high == low:
        return low_value
    return low_value + (_value_at(high, ordered) - low_value) * (position - low)


def latency_summary(buckets: Iterable[tuple[int, int]]) -> dict:
    """``{"median": .., "p90": .., "count": ..}`` in seconds (rounded to 0.1 s), nulls when empty."""
    pairs = list(buckets)
    count = sum(c for _, c in pairs)
    median, p90 = percentile(pairs, 0.5), percentile(pairs, 0.9)
    return {
        "median": None if median is None else round(median, 1),
        "p90": None if p90 is None else round(p90, 1),
        "count": count,
    }
