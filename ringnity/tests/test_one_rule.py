"""Rules written once: the CI flag (``ringnity.testing.ci``) and the platform roles that write
(``apps.tenants.models.PLATFORM_WRITE_ROLES``). A copy added later fails here, naming where it is."""

import re
from pathlib import Path

import pytest

from apps.tenants.models import PLATFORM_WRITE_ROLES, PlatformRole, platform_writer
from apps.tenants.tests.factories import OwnerFactory, PlatformOperatorFactory
from ringnity.testing.ci import missing, running_in_ci

ROOT = Path(__file__).resolve().parents[2]
READS_CI = re.compile(r"""environ(?:\.get\(|\[)\s*["']CI["']|getenv\(\s*["']CI["']""")
ROLE_LITERAL = re.compile(r"""["']platform_(?:owner|admin|support)["']""")


def _python_files(*directories):
    for directory in directories:
        yield from (p for p in (ROOT / directory).rglob("*.py") if ".venv" not in p.parts)


def test_only_ringnity_testing_ci_reads_the_ci_flag():
    readers = [
        str(p.relative_to(ROOT))
        for p in [ROOT / "conftest.py", *_python_files("apps", "ringnity", "tests", "bench", "tools")]
        if READS_CI.search(p.read_text())
    ]
    assert readers == ["ringnity/testing/ci.py"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("1", True), ("YES", True), (" on ", True), ("", False), ("0", False), ("false", False)],
)
def test_the_ci_flag_has_one_spelling(monkeypatch, value, expected):
    monkeypatch.setenv("CI", value)
    assert running_in_ci() is expected


def test_a_missing_part_fails_under_ci_and_skips_elsewhere(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="needs X; CI=true must run this test"):
        missing("needs X")
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception, match="needs X"):
        missing("needs X")


def test_the_platform_roles_are_spelled_only_where_they_are_defined():
    spelled = [
        str(p.relative_to(ROOT))
        for p in _python_files("apps", "ringnity")
        if "tests" not in p.parts and "migrations" not in p.parts and ROLE_LITERAL.search(p.read_text())
    ]
    assert spelled == ["apps/tenants/models.py"]


@pytest.mark.django_db
def test_owners_and_admins_write_support_and_tenant_staff_do_not():
    assert {PlatformRole.OWNER, PlatformRole.ADMIN} == PLATFORM_WRITE_ROLES
    for role in PlatformRole:
        assert platform_writer(PlatformOperatorFactory(platform_role=role)) is (role in PLATFORM_WRITE_ROLES)
    assert not platform_writer(PlatformOperatorFactory(platform_role=PlatformRole.OWNER, is_active=False))
    assert not platform_writer(OwnerFactory())
    assert not platform_writer(None)
