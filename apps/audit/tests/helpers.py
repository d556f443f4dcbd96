"""Assertions shared by the audit tests: one row per write, and no secret in any row."""

import json

from apps.audit.models import AuditEntry
from ringnity.api.secrets import secret_digest

REQUEST_ID = "audit-test-request-1"


def only_row(action: str, **filters) -> AuditEntry:
    rows = list(AuditEntry.objects.filter(action=action, **filters))
    assert len(rows) == 1, f"{action}: {len(rows)} rows {[str(row) for row in rows]}"
    return rows[0]


def row_text(row: AuditEntry) -> str:
    fields = [row.actor_id, row.actor_label, row.target_id, row.before, row.after, row.ip, row.request_id]
    return json.dumps(fields, default=str)


def assert_no_secret(row: AuditEntry, *secrets: str) -> None:
    """Neither a secret nor its digest is anywhere in the row."""
    text = row_text(row)
    for secret in secrets:
        assert secret, "a test must name the secret it looks for"
        assert secret not in text, f"{row.action} holds a secret"
        assert secret_digest(secret) not in text, f"{row.action} holds a secret's digest"


def assert_from_the_request(row: AuditEntry) -> None:
    assert row.ip == "127.0.0.1"
    assert row.request_id == REQUEST_ID
