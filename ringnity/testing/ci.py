"""The one reading of the ``CI`` flag, and what a test does when a real part it needs is absent.

Locally (SQLite, no Redis, no chromium) such a test skips with its reason; under ``CI=true`` it fails,
so CI can never go green by skipping what it is there to run.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

CI_TRUE = frozenset({"1", "true", "yes", "on"})


def running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in CI_TRUE


def missing(reason: str) -> NoReturn:
    """Fail under CI, skip elsewhere."""
    if running_in_ci():
        pytest.fail(f"{reason}; CI=true must run this test")
    pytest.skip(reason)


def require_postgresql(reason: str = "needs PostgreSQL: real row locks and concurrent transactions") -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        missing(f"{reason} (the test database is {connection.vendor})")
