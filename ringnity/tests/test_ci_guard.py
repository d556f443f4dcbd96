"""Under CI=true a test session without PostgreSQL or Redis fails; it never falls back to SQLite."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _pytest_with(env: dict, tmp_path) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CI"}}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "ringnity/tests/test_site.py::test_admin_login_is_the_platform_console",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**clean, "DATA_DIR": str(tmp_path), **env},
    )


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({}, "DATABASE_URL must point at PostgreSQL"),
        (
            {"DATABASE_URL": "postgres://postgres@127.0.0.1:1/nothing", "REDIS_URL": "redis://127.0.0.1:6379/0"},
            "PostgreSQL unreachable",
        ),
        (
            {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres", "REDIS_URL": "redis://127.0.0.1:1/0"},
            "Redis unreachable",
        ),
    ],
)
def test_ci_session_fails_without_its_services(tmp_path, env, complaint):
    result = _pytest_with({"CI": "true", **env}, tmp_path)
    assert result.returncode != 0
    assert complaint in result.stdout + result.stderr
