"""The fuzz budget: an operation not reached is skipped locally and fails the run under ``CI=true``."""

import math
import time

import pytest

from tests.fuzz.conftest import FuzzStats, fuzz_budget_seconds


def _spent(budget: float = 5.0) -> FuzzStats:
    stats = FuzzStats(budget_seconds=budget, started=time.monotonic() - budget - 1)
    stats.examples["GET /sdk/health"] = 3
    return stats


def test_under_ci_an_operation_the_fuzzer_did_not_reach_fails_the_run(monkeypatch):
    monkeypatch.setenv("CI", "true")
    stats = _spent()
    stats.admit("GET /sdk/health")  # started before the budget ran out: it finishes its examples
    with pytest.raises(pytest.fail.Exception, match="spent before GET /server/health started; CI=true must run"):
        stats.admit("GET /server/health")
    assert "GET /server/health" in stats.skipped  # and is listed in the summary


def test_locally_an_operation_the_fuzzer_did_not_reach_is_skipped_and_listed(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    stats = _spent()
    with pytest.raises(pytest.skip.Exception):
        stats.admit("GET /server/health")
    assert stats.skipped == {"GET /server/health": "time budget of 5 s spent"}


def test_ci_has_no_budget_unless_one_is_set(monkeypatch):
    monkeypatch.delenv("FUZZ_BUDGET_SECONDS", raising=False)
    monkeypatch.setenv("CI", "true")
    assert fuzz_budget_seconds() == math.inf
    monkeypatch.setenv("CI", "false")
    assert fuzz_budget_seconds() == 210
    monkeypatch.setenv("FUZZ_BUDGET_SECONDS", "30")
    assert fuzz_budget_seconds() == 30
