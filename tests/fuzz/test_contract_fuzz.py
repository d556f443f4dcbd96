"""Schemathesis against a live server, with the contract as the schema (issue 9).

Every contract operation is fuzzed unless docs/contract/pending-operations.txt lists it, so an
operation is attacked the day it is served. Requests carry the credential of the operation's first
security scheme (``tests.fuzz.contract.credential_for``). Checks: no 5xx, responses and content
types as the contract says (its ErrorCode enum extended in memory with our documented additions),
data the contract forbids is refused, declared authentication is enforced, and nothing under /api
answers HTML (the OAuth pages answer HTML only to a caller that asks for it). No operation is marked
as an expected failure: a defect the fuzzer finds is fixed, with a regression test.

Bounds: ``FUZZ_MAX_EXAMPLES`` generated examples per operation (default 8, valid and invalid data)
after schemathesis's explicit-example and coverage phases, and a wall-clock budget
(``FUZZ_BUDGET_SECONDS``; default 210 locally, none under ``CI=true``) after which operations not
started yet are skipped and listed locally, and fail the run under ``CI=true``: CI fuzzes every
served operation or is red.
"""

from __future__ import annotations

import os

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings

from tests.fuzz.conftest import STATS
from tests.fuzz.contract import (
    CHECKS,
    contract_with_our_error_codes,
    credential_for,
    pending_operations,
)

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "8"))

schema = schemathesis.openapi.from_dict(contract_with_our_error_codes())
if pending_operations():
    schema = schema.exclude(operation_id=sorted(pending_operations()))
# Credentials are real (fixtures), never generated: ignored_auth then probes without and with a bad one.
# Deterministic by default, so CI is reproducible; FUZZ_RANDOM=1 explores new inputs locally.
schema.config.generation.update(
    max_examples=MAX_EXAMPLES,
    with_security_parameters=False,
    deterministic=os.environ.get("FUZZ_RANDOM", "") != "1",
    # A failure is reported with its first failing input; FUZZ_SHRINK=1 spends the time to minimise it.
    no_shrink=os.environ.get("FUZZ_SHRINK", "") != "1",
)
# Undeclared methods are probed with the unsafe ones only (where a CSRF page or an HTML 405 would show).
schema.config.phases.coverage.unexpected_methods = {"post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def session():
    with requests.Session() as http:
        yield http


# The mark makes pytest-django create the test database; the test itself talks HTTP only.
@pytest.mark.django_db
@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), print_blob=True)
def test_the_contract_holds_under_fuzzing(case, fuzz_target, session):
    base_url, credentials = fuzz_target
    label = case.operation.label
    STATS.admit(label)
    auth = credential_for(case.operation, credentials)
    response = case.call(base_url=base_url, session=session, headers=auth, timeout=30)
    STATS.examples[label] += 1
    STATS.statuses[response.status_code] += 1
    content_type = response.headers.get("Content-Type", "")
    assert not content_type.startswith("text/html"), f"{label} answered HTML ({response.status_code})"
    case.validate_response(response, checks=CHECKS, headers=auth)
