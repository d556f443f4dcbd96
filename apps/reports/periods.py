"""Report periods: which of the tenant's local days a report covers.

A report always covers whole days of the tenant's timezone (``Tenant.timezone``; an unknown
zone name falls back to UTC). ``today`` is the local day that contains now; ``7days`` and
``30days`` end today, inclusive; ``custom`` takes ``startDate`` and ``endDate``, each an ISO
date (``2026-03-01``) or date-time (``2026-03-01T08:00:00+02:00``; a naive date-time is read
in the tenant's zone, an aware one is converted to it) and covers every local day from the
start's day to the end's day inclusive.

``REPORT_DATE_RANGE_INVALID`` (400) for ``custom``: a missing date, an unparseable one, an
end before the start, or more than ``MAX_DAYS`` days. An unknown ``period`` is the ordinary
400 of the query serializer, and so is an unknown ``format``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from ringnity.api.errors import ApiError, ErrorCode

PERIODS = ("today", "7days", "30days", "custom")
PRESET_DAYS = {"today": 1, "7days": 7, "30days": 30}
MAX_DAYS = 366


def tenant_zone(tenant) -> tzinfo:
    try:
        return ZoneInfo(tenant.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_today(zone: tzinfo, now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(zone).date()


def day_start(day: date, zone: tzinfo) -> datetime:
    """The instant local midnight of ``day`` begins (DST-safe: built from the wall clock, then resolved)."""
    return datetime.combine(day, time.min, tzinfo=zone)


@dataclass(frozen=True)
class ReportPeriod:
    type: str
    first_day: date
    last_day: date
    zone: tzinfo

    @property
    def days(self) -> list[date]:
        return [self.first_day + timedelta(days=n) for n in range((self.last_day - self.first_day).days + 1)]

    @property
    def start(self) -> datetime:
        return day_start(self.first_day, self.zone)

    @property
    def end(self) -> datetime:
        """Exclusive end: the next local midnight after the last day."""
        return day_start(self.last_day + timedelta(days=1), self.zone)

    def as_contract(self) -> dict:
        """The contract's ``ReportPeriod``: ``end`` is the last instant (microsecond) of the last day."""
        return {
            "type": self.type,
            "start": self.start.isoformat(),
            "end": (self.end - timedelta(microseconds=1)).isoformat(),
        }

    @property
    def label(self) -> str:
        return f"{self.first_day.isoformat()}_{self.last_day.isoformat()}"


def _invalid(detail: str) -> ApiError:
    return ApiError(ErrorCode.REPORT_DATE_RANGE_INVALID, "The report date range is invalid.", 400, [detail])


def _parse_day(field: str, raw: str | None, zone: tzinfo) -> date:
    if raw is None or not str(raw).strip():
        raise _invalid(f"{field}: Required when period is custom.")
    text = str(raw).strip()
    try:
        moment = parse_datetime(text)
        if moment is None:
            day = parse_date(text)
            if day is None:
                raise ValueError(text)
            return day
    except ValueError:
        raise _invalid(f"{field}: Not an ISO date or date-time.") from None
    if timezone.is_naive(moment):
        return moment.date()
    return moment.astimezone(zone).date()


def _is_day(raw) -> bool:
    try:
        return _parse_day("date", raw, UTC) is not None
    except ApiError:
        return False


def period_resolve(*, tenant, period: str, start_date=None, end_date=None, now: datetime | None = None) -> ReportPeriod:
    """The local days a report covers (see the module docstring for every rule)."""
    zone = tenant_zone(tenant)
    if period in PRESET_DAYS:
        # Ignored for a preset, but a value that is not a date is still a request the contract forbids.
        sent = (("startDate", start_date), ("endDate", end_date))
        malformed = [
            f"{field}: Not an ISO date or date-time." for field, raw in sent if raw is not None and not _is_day(raw)
        ]
        if malformed:
            raise ApiError(ErrorCode.REPORT_DATE_RANGE_INVALID, "The report date range is invalid.", 400, malformed)
        today = local_today(zone, now)
        return ReportPeriod(period, today - timedelta(days=PRESET_DAYS[period] - 1), today, zone)
    if period != "custom":
        raise ApiError(ErrorCode.VALIDATION_FAILED, "Validation failed.", 400, [f"period: Unknown period {period!r}."])
    errors: list[str] = []
    days: dict[str, date] = {}
    for field, raw in (("startDate", start_date), ("endDate", end_date)):
        try:
            days[field] = _parse_day(field, raw, zone)
        except ApiError as exc:
            errors.extend(exc.details)
    if errors:
        raise ApiError(ErrorCode.REPORT_DATE_RANGE_INVALID, "The report date range is invalid.", 400, errors)
    first, last = days["startDate"], days["endDate"]
    if last < first:
        raise _invalid("endDate: Must not be before startDate.")
    if (last - first).days + 1 > MAX_DAYS:
        raise _invalid(f"endDate: The range may cover at most {MAX_DAYS} days.")
    return ReportPeriod("custom", first, last, zone)
