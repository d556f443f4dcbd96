"""A live server of the test database, a seeded tenant and one credential per security scheme, for the fuzzer.

The server is Django's ``LiveServerThread`` (threaded WSGI, the real middleware and URLconf) on a free
loopback port, against the test database pytest-django created. The data is committed once for the
module (the server's threads use their own connections, so it must be committed) and flushed after it,
as a ``TransactionTestCase`` does, so no other test sees it.
"""

from __future__ import annotations

import math
import os
import time
from collections import Counter
from dataclasses import dataclass, field

import pytest
from django.core.management import call_command
from django.db import connections
from django.test.testcases import LiveServerThread, _StaticFilesHandler

from apps.developer.services import SERVER_API_SCOPES
from apps.developer.tests.factories import ServerApiKeyFactory
from apps.identity.sessions import SessionScope, session_issue
from apps.plans.seed import FEATURE_KEYS, QUOTA_KEYS
from apps.plans.tests.factories import subscribe
from apps.runtime.tokens import ADMIN_SCOPES, AGENT_SCOPES, VISITOR_SCOPES, TokenKind, issuing_key_context, token_issue
from apps.tenants.models import PlatformRole, StaffRole
from apps.tenants.tests.factories import OwnerFactory, PlatformOperatorFactory, StaffFactory, TenantFactory
from ringnity.testing.ci import missing, require_postgresql, running_in_ci


def fuzz_budget_seconds() -> float:
    """``FUZZ_BUDGET_SECONDS``; by default 210 locally and none under ``CI=true``."""
    configured = os.environ.get("FUZZ_BUDGET_SECONDS", "").strip()
    if configured:
        return float(configured)
    return math.inf if running_in_ci() else 210.0


@dataclass
class FuzzStats:
    """What the fuzz step did, printed at the end of the session."""

    budget_seconds: float = field(default_factory=fuzz_budget_seconds)
    started: float = 0.0
    examples: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    skipped: dict = field(default_factory=dict)

    def start(self) -> None:
        """The clock starts at the first example (not at import, database creation or seeding)."""
        if not self.started:
            self.started = time.monotonic()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started if self.started else 0.0

    def admit(self, label: str) -> None:
        """Before each example. An operation not started when the budget is spent is not fuzzed: skipped
        and listed locally, a failure under ``CI=true`` (CI fuzzes every served operation or is red)."""
        self.start()
        if self.elapsed > self.budget_seconds and label not in self.examples:
            self.skipped[label] = f"time budget of {self.budget_seconds:.0f} s spent"
            missing(f"the fuzz time budget of {self.budget_seconds:.0f} s was spent before {label} started")


STATS = FuzzStats()


def pytest_terminal_summary(terminalreporter):
    if not STATS.examples and not STATS.skipped:
        return
    write = terminalreporter.write_line
    terminalreporter.section("contract fuzz (schemathesis)")
    stateless = {label: n for label, n in STATS.examples.items() if not label.startswith("stateful ")}
    stateful = sum(n for label, n in STATS.examples.items() if label.startswith("stateful "))
    write(
        f"{len(stateless)} operations fuzzed, {sum(stateless.values())} examples, {stateful} stateful steps, "
        f"{STATS.elapsed:.0f} s; {len(STATS.skipped)} operations skipped"
    )
    write("responses: " + ", ".join(f"{status}: {count}" for status, count in sorted(STATS.statuses.items())))
    for label, reason in sorted(STATS.skipped.items()):
        write(f"  skipped {label}: {reason}")


@dataclass(frozen=True)
class Credentials:
    """Request headers for each security scheme (RuntimeBearer per token kind)."""

    server_key: dict
    owner: dict
    workspace: dict
    platform: dict
    visitor: dict
    agent: dict
    admin: dict


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _runtime(token: str) -> dict:
    return {"X-Ringnity-SDK-Session": token}


def _seed() -> Credentials:
    """A tenant on a plan with every feature and unlimited quotas, and a credential of every kind."""
    tenant = TenantFactory(slug="fuzz")
    subscribe(
        tenant,
        features={key: True for key, *_ in FEATURE_KEYS},
        quotas={key: "unlimited" for key, *_ in QUOTA_KEYS},
    )
    owner = OwnerFactory(tenant=tenant)
    agent = StaffFactory(tenant=tenant, role=StaffRole.AGENT)
    operator = PlatformOperatorFactory(platform_role=PlatformRole.OWNER)
    key = ServerApiKeyFactory(tenant=tenant, scopes=list(SERVER_API_SCOPES))
    key_context = issuing_key_context(key)

    def runtime(kind, subject, scopes, **kw):
        return _runtime(token_issue(kind=kind, tenant=tenant, subject=subject, scopes=scopes, **kw).token)

    return Credentials(
        server_key=_bearer(key.secret),
        owner=_bearer(session_issue(user=owner, scope=SessionScope.OWNER).access),
        workspace=_bearer(session_issue(user=owner, scope=SessionScope.WORKSPACE).access),
        platform=_bearer(session_issue(user=operator, scope=SessionScope.PLATFORM).access),
        visitor=runtime(TokenKind.VISITOR, "vis_fuzz", VISITOR_SCOPES),
        agent=runtime(TokenKind.AGENT, agent.public_id, AGENT_SCOPES, context=key_context),
        admin=runtime(TokenKind.ADMIN, "adm_fuzz", ADMIN_SCOPES, context=key_context),
    )


def _flush() -> None:
    for alias in connections:
        call_command("flush", verbosity=0, interactive=False, database=alias, inhibit_post_migrate=False)


@pytest.fixture(scope="module")
def fuzz_target(django_db_setup, django_db_blocker):
    """``(base_url, Credentials)`` of a live server of the seeded test database."""
    with django_db_blocker.unblock():
        # An in-memory SQLite test database is one connection; the server's threads would not see it.
        require_postgresql("the contract fuzz needs PostgreSQL (set DATABASE_URL)")
        credentials = _seed()
        server = LiveServerThread("127.0.0.1", _StaticFilesHandler, port=0)
        server.daemon = True
        server.start()
        server.is_ready.wait()
        if server.error:
            raise server.error
        try:
            yield f"http://127.0.0.1:{server.port}/api", credentials
        finally:
            server.terminate()
            _flush()
