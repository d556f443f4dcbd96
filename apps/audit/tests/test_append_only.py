"""Rows are only ever added: the ORM and PostgreSQL refuse changes, and a rolled-back write leaves none."""

import pytest
from django.db import DatabaseError, connection, transaction

from apps.audit.context import audit_actor
from apps.audit.models import ActorKind, AuditEntry, AuditLogImmutable
from apps.audit.services import audit_record
from apps.developer import services as developer_services
from apps.plans.tests.factories import subscribe
from apps.tenants.tests.factories import TenantFactory
from ringnity.api.errors import ApiError
from ringnity.testing.ci import require_postgresql

pytestmark = pytest.mark.django_db


@pytest.fixture
def row():
    with audit_actor(kind=ActorKind.COMMAND, id="test"):
        return audit_record(action="thing.create", target=("thing", "t1"), after={"name": "a"})


def test_the_orm_refuses_to_change_or_remove_a_row(row):
    row.action = "thing.delete"
    with pytest.raises(AuditLogImmutable):
        row.save()
    with pytest.raises(AuditLogImmutable):
        row.delete()
    with pytest.raises(AuditLogImmutable):
        AuditEntry.objects.filter(pk=row.pk).update(action="x")
    with pytest.raises(AuditLogImmutable):
        AuditEntry.objects.filter(pk=row.pk).delete()
    assert AuditEntry.objects.get(pk=row.pk).action == "thing.create"


def test_postgresql_refuses_update_and_delete_whoever_sends_them(row):
    require_postgresql("needs PostgreSQL: the append-only trigger")
    for statement in (
        "UPDATE audit_auditentry SET action = 'x' WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [row.pk])
    assert AuditEntry.objects.get(pk=row.pk).action == "thing.create"


def test_a_rolled_back_write_leaves_no_row():
    tenant = TenantFactory()
    subscribe(tenant, features={"server_api": True}, quotas={"server_api_keys": 1})
    before = AuditEntry.objects.count()
    try:
        with transaction.atomic():
            developer_services.server_api_key_create(tenant=tenant, name="Backend", scopes=["server:health"])
            assert AuditEntry.objects.filter(action="server_api_key.create").exists()  # in the same transaction
            raise RuntimeError("the caller fails after the service")
    except RuntimeError:
        pass
    developer_services.server_api_key_create(tenant=tenant, name="One", scopes=["server:health"])
    with pytest.raises(ApiError):  # refused by the service itself (quota): nothing written either
        developer_services.server_api_key_create(tenant=tenant, name="Two", scopes=["server:health"])
    assert AuditEntry.objects.filter(action="server_api_key.create").count() == 1  # "One" only
    assert AuditEntry.objects.count() == before + 1


def test_redaction_drops_secrets_by_name_and_by_shape(row):
    from apps.audit.redaction import REDACTED, redact

    value = {
        "client_secret": "abc",
        "secret_digest": "f" * 64,
        "nested": [{"token": "t"}, "rn_sk_live_xyz", "a" * 64],
        "name": "kept",
        "password": "",
    }
    assert redact(value) == {
        "client_secret": REDACTED,
        "secret_digest": REDACTED,
        "nested": [{"token": REDACTED}, REDACTED, REDACTED],
        "name": "kept",
        "password": "",
    }
