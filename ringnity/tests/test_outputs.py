"""The output plumbing (ringnity/api/outputs.py): one time format, optional fields omitted when empty."""

import ast
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from django.utils import timezone as django_timezone
from rest_framework import serializers

from ringnity.api.outputs import OutputSerializer, UTCDateTimeField, iso_utc

ROOT = Path(__file__).resolve().parents[2]
#: Where ``isoformat()`` is not a copy of the rule: the rule, dates, cache keys, and report periods, which the
#: contract states in the tenant's own time zone (``ReportPeriod``).
LOCAL_TIME_CALLS = {
    "ringnity/api/outputs.py",  # the rule itself
    "apps/reports/api/serializers.py",
    "apps/reports/figures.py",
    "apps/reports/periods.py",
    "apps/reports/rollups.py",
    "apps/reports/selectors.py",
}


def test_iso_utc_is_utc_with_z_whatever_time_zone_is_active():
    moment = datetime(2026, 11, 28, 10, 30, 0, 123456, tzinfo=timezone(timedelta(hours=1)))
    with django_timezone.override(ZoneInfo("America/New_York")):
        assert iso_utc(moment) == "2026-11-28T09:30:00.123456Z"
        assert UTCDateTimeField().to_representation(moment) == "2026-11-28T09:30:00.123456Z"
    assert iso_utc(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05Z"
    assert iso_utc(None) is None


def test_optional_fields_are_omitted_when_empty_and_nullable_ones_kept():
    class Shape(OutputSerializer):
        id = serializers.CharField()
        subject = serializers.CharField(required=False)
        tags = serializers.ListField(child=serializers.CharField(), required=False)
        endedAt = UTCDateTimeField(required=False)
        reason = serializers.CharField(allow_null=True)

    row = {"id": "x", "subject": "", "tags": [], "endedAt": None, "reason": None}
    assert Shape(row).data == {"id": "x", "tags": [], "reason": None}


def _time_formatting(tree: ast.AST) -> list[int]:
    """Lines that format a time another way: ``x.isoformat()``, or ``serializers.DateTimeField`` outside
    an input serializer (whose fields parse times, they do not send them)."""
    lines = []
    inputs = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and any(
            getattr(base, "id", getattr(base, "attr", "")) in {"InputSerializer", "QuerySerializer"}
            for base in node.bases
        ):
            inputs.update(id(child) for child in ast.walk(node))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or id(node) in inputs:
            continue
        name = getattr(node.func, "attr", None)
        if name == "isoformat" or (name == "DateTimeField" and getattr(node.func.value, "id", "") == "serializers"):
            lines.append(node.lineno)
    return lines


def test_no_module_formats_an_entity_time_itself():
    """Every UTC time leaves through ``UTCDateTimeField``/``iso_utc``: no copies of the rule elsewhere."""
    found = []
    for path in sorted([*ROOT.glob("apps/**/*.py"), *ROOT.glob("ringnity/**/*.py")]):
        relative = path.relative_to(ROOT).as_posix()
        if "/tests/" in relative or "/migrations/" in relative or relative in LOCAL_TIME_CALLS:
            continue
        found += [f"{relative}:{line}" for line in _time_formatting(ast.parse(path.read_text()))]
    assert found == [], f"format times with ringnity.api.outputs.iso_utc / UTCDateTimeField: {found}"
