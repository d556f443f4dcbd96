"""The README's management commands work as written, and fail as the README says without ``DEBUG``.

The block under "## Management commands" runs in a shell, line by line, on a fresh embedded default
(SQLite in a temporary ``DATA_DIR``, no ``DATABASE_URL``/``REDIS_URL``) with only two substitutions:
``'...'`` is a password, and ``[--option value]`` is given.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "readme-Example-pass-2026"
#: What the test process has that a fresh shell on a fresh checkout would not.
NOT_IN_A_FRESH_SHELL = {"DATABASE_URL", "REDIS_URL", "CI", "DEBUG", "DJANGO_SETTINGS_MODULE", "DATA_DIR", "MEDIA_ROOT"}


def _management_block() -> str:
    section = ROOT.joinpath("README.md").read_text().split("## Management commands", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


def _shell(script: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in NOT_IN_A_FRESH_SHELL}
    return subprocess.run(
        ["/bin/bash", "-e", "-c", script],
        cwd=ROOT,
        env={**env, "DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_management_commands_of_the_readme_work_as_written(tmp_path):
    block = _management_block()
    assert "export DEBUG=true" in block
    script = re.sub(r"\[(--[^\]]+)\]", r"\1", block.replace("'...'", f"'{PASSWORD}'"))
    result = _shell(script, tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        users = set(db.execute("SELECT email, username, role, platform_role FROM tenants_user"))
        tenants = {slug for (slug,) in db.execute("SELECT slug FROM tenants_tenant")}
    assert {"acme", "demo"} <= tenants
    assert any(user[0] == "boss@acme.test" and user[2] == "owner" for user in users)
    assert any(user[1:] == ("jane", "agent", "") for user in users)
    assert ("ops@example.com", "", "", "platform_owner") in users


def test_without_debug_a_command_stops_naming_what_production_needs(tmp_path):
    """What the README says happens without ``DEBUG=true``."""
    result = _shell(".venv/bin/python manage.py seed_plans", tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY, DATABASE_URL, REDIS_URL are not set" in result.stderr
