"""Periods, histogram percentiles and CSV escaping, without the database."""

from datetime import UTC, date, datetime

import pytest

from apps.reports.csv_export import escape_cell, write_csv
from apps.reports.histogram import bucket_floor, bucket_width, latency_summary, percentile
from apps.reports.periods import MAX_DAYS, period_resolve
from ringnity.api.errors import ApiError


class _Tenant:
    def __init__(self, zone):
        self.timezone = zone


NOW = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # already 2 March in Berlin (UTC+1)


@pytest.mark.parametrize(
    ("period", "first", "last"),
    [
        ("today", "2026-03-02", "2026-03-02"),
        ("7days", "2026-02-24", "2026-03-02"),
        ("30days", "2026-02-01", "2026-03-02"),
    ],
)
def test_presets_end_on_the_tenants_local_today(period, first, last):
    resolved = period_resolve(tenant=_Tenant("Europe/Berlin"), period=period, now=NOW)
    assert (resolved.first_day.isoformat(), resolved.last_day.isoformat()) == (first, last)


def test_utc_tenant_is_still_on_the_first_of_march():
    assert period_resolve(tenant=_Tenant("UTC"), period="today", now=NOW).first_day == date(2026, 3, 1)


def test_unknown_timezone_falls_back_to_utc():
    assert period_resolve(tenant=_Tenant("Mars/Olympus"), period="today", now=NOW).first_day == date(2026, 3, 1)


def test_period_bounds_follow_daylight_saving():
    period = period_resolve(
        tenant=_Tenant("Europe/Berlin"), period="custom", start_date="2026-03-28", end_date="2026-03-29"
    )
    contract = period.as_contract()
    assert contract["start"] == "2026-03-28T00:00:00+01:00"
    assert contract["end"] == "2026-03-29T23:59:59.999999+02:00"


@pytest.mark.parametrize(
    ("start", "end", "first", "last"),
    [
        ("2026-01-10", "2026-01-12", "2026-01-10", "2026-01-12"),
        ("2026-01-10T23:30:00Z", "2026-01-11T00:30:00+01:00", "2026-01-11", "2026-01-11"),
        ("2026-01-10T23:30:00", "2026-01-10T23:59:59", "2026-01-10", "2026-01-10"),
    ],
)
def test_custom_dates_and_date_times_become_local_days(start, end, first, last):
    period = period_resolve(tenant=_Tenant("Europe/Berlin"), period="custom", start_date=start, end_date=end)
    assert (period.first_day.isoformat(), period.last_day.isoformat()) == (first, last)


@pytest.mark.parametrize(
    ("start", "end", "fields"),
    [
        (None, None, ["startDate", "endDate"]),
        ("", "2026-01-01", ["startDate"]),
        ("2026-02-30", "2026-03-01", ["startDate"]),
        ("2026-01-02", "2026-01-01", ["endDate"]),
        ("2025-01-01", "2026-01-02", ["endDate"]),
    ],
)
def test_invalid_custom_ranges(start, end, fields):
    with pytest.raises(ApiError) as info:
        period_resolve(tenant=_Tenant("UTC"), period="custom", start_date=start, end_date=end)
    assert info.value.code == "REPORT_DATE_RANGE_INVALID"
    assert [d.split(":")[0] for d in info.value.details] == fields


def test_range_limit_is_inclusive():
    period = period_resolve(tenant=_Tenant("UTC"), period="custom", start_date="2025-01-02", end_date="2026-01-02")
    assert len(period.days) == MAX_DAYS


@pytest.mark.parametrize(
    ("value", "floor", "width"),
    [(0, 0, 1), (99, 99, 1), (100, 100, 10), (109, 100, 10), (999, 990, 10), (1000, 1000, 100), (86399, 86000, 1000)],
)
def test_buckets_keep_two_significant_digits(value, floor, width):
    assert bucket_floor(value) == floor
    assert bucket_width(floor) == width


def test_percentiles_are_exact_below_100_seconds_like_percentile_cont():
    buckets = [(30, 1), (45, 1), (90, 1)]
    assert percentile(buckets, 0.5) == 45
    assert percentile(buckets, 0.9) == pytest.approx(81)
    assert percentile([], 0.5) is None
    assert latency_summary([(10, 2)]) == {"median": 10.0, "p90": 10.0, "count": 2}


def test_percentiles_of_merged_buckets_stay_within_half_a_bucket():
    values = [120, 340, 560, 1800, 2500, 3700, 7200, 9000, 15000]
    buckets = [(bucket_floor(v), 1) for v in values]
    day_one, day_two = buckets[:4], buckets[4:]
    merged = percentile(day_one + day_two, 0.5)
    assert abs(merged - 2500) <= bucket_width(bucket_floor(2500)) / 2
    assert abs(percentile(buckets, 0.9) - (9000 + (15000 - 9000) * 0.2)) <= 1000


@pytest.mark.parametrize("text", ["=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://x")'])
def test_formula_cells_are_quoted(text):
    assert escape_cell(text) == "'" + text


def test_numbers_and_plain_text_are_untouched():
    assert escape_cell(-5) == -5
    assert escape_cell("Alice") == "Alice"
    assert escape_cell(None) == ""
    assert write_csv([["a", "=b", 1]]) == "a,'=b,1\r\n"
