"""A database made by the previous layout (models in ``tenants`` and ``platform``) upgrades with ``migrate``.

The test builds an empty database beside the test database, migrates it to the last migrations of
the old layout (``tenants`` 0004, ``platform`` 0004), writes rows with the historical models of
that state, migrates it to the current leaf nodes, and reads the rows back through the moved
models: tables renamed, every row kept, content types (and so permissions and console history)
relabelled. On PostgreSQL under CI this is the proof that production upgrades in place.
"""

import os
import tempfile
import uuid

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

from apps.oauth.upgrade import TOOLKIT_TABLES

OLD_LAYOUT = [("tenants", "0004_allowed_domain_lookup"), ("platform", "0004_contract_config_validator")]
MOVED = {
    "developer": ["alloweddomain", "serverapikey", "servicetoggle"],
    "identity": ["sessionfamily", "workspaceentrytoken"],
    "runtime": ["devicepushtoken"],
    "plans": ["featurekey", "plan", "planfeature", "planquota", "quotakey", "subscription"],
    "billing": ["aibalance", "ailedgerentry", "aipricing", "aiusagelog"],
}
OLD_APP = {
    "developer": "tenants",
    "identity": "tenants",
    "runtime": "tenants",
    "plans": "platform",
    "billing": "platform",
}


def _admin_connection(settings_dict):
    return psycopg.connect(
        host=settings_dict["HOST"] or None,
        port=settings_dict["PORT"] or None,
        user=settings_dict["USER"] or None,
        password=settings_dict["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )


@pytest.fixture
def empty_database():
    """A connection to a new, empty database of the same engine (dropped afterwards)."""
    base = connections["default"].settings_dict
    alias = f"upgrade_{uuid.uuid4().hex[:8]}"
    if base["ENGINE"].endswith("postgresql"):
        name = f"{base['NAME']}_{alias}"
        with _admin_connection(base) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    else:
        name = os.path.join(tempfile.mkdtemp(), "upgrade.sqlite3")
    connections.settings[alias] = {**base, "NAME": name, "TEST": {**base.get("TEST", {}), "NAME": name}}
    connection = connections[alias]
    # Connected here: the test case only guards the connections it was declared with.
    connection.connect()
    yield connection
    connection.close()
    del connections[alias]
    del connections.settings[alias]
    if base["ENGINE"].endswith("postgresql"):
        with _admin_connection(base) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _state_apps(executor, targets):
    return executor.loader.project_state(targets).apps


def _previous_toolkit_history(connection, executor) -> None:
    """What the previous release left of django-oauth-toolkit: its own tables (with the toolkit's
    ``Application``/``Grant``, before the swap) and its migrations recorded as applied."""
    with connection.cursor() as cursor:
        for table in TOOLKIT_TABLES:
            cursor.execute(f"CREATE TABLE {connection.ops.quote_name(table)} (id integer PRIMARY KEY)")
    recorder = MigrationRecorder(connection)
    for app, name in executor.loader.disk_migrations:
        if app == "oauth2_provider":
            recorder.record_applied(app, name)


@pytest.mark.django_db(transaction=True)
def test_a_database_of_the_previous_layout_upgrades_and_keeps_its_rows(empty_database):
    alias = empty_database.alias
    executor = MigrationExecutor(empty_database)
    executor.migrate(OLD_LAYOUT)

    old = _state_apps(executor, OLD_LAYOUT)
    content_type = old.get_model("contenttypes", "ContentType")
    for app, models in MOVED.items():
        for model in models:
            content_type.objects.using(alias).create(app_label=OLD_APP[app], model=model)
    tenant = (
        old.get_model("tenants", "Tenant")
        .objects.using(alias)
        .create(
            public_id="ten_upgrade",
            slug="upgrade",
            name="Upgrade Ltd",
            email="ops@upgrade.test",
            public_widget_key="wk_1",
        )
    )
    key = (
        old.get_model("tenants", "ServerApiKey")
        .objects.using(alias)
        .create(
            tenant=tenant,
            public_id="sak_upgrade",
            name="Backend",
            scopes=["server:health"],
            secret_digest="d" * 64,
            secret_last4="abcd",
        )
    )
    plan = old.get_model("platform", "Plan").objects.using(alias).create(public_id="pln_up", slug="starter", name="S")
    old.get_model("platform", "Subscription").objects.using(alias).create(tenant=tenant, plan=plan, status="active")
    old.get_model("platform", "AiBalance").objects.using(alias).create(tenant=tenant, balance_cents=1500)
    old.get_model("platform", "AiLedgerEntry").objects.using(alias).create(
        tenant=tenant,
        public_id="led_up",
        kind="top_up",
        amount_cents=1500,
        balance_before_cents=0,
        balance_after_cents=1500,
        note="before the upgrade",
    )

    _previous_toolkit_history(empty_database, executor)

    call_command("migrate", database=alias, interactive=False, verbosity=0)

    executor = MigrationExecutor(empty_database)
    leaves = executor.loader.graph.leaf_nodes()
    assert executor.migration_plan(leaves) == []
    new = _state_apps(executor, leaves)
    tables = set(empty_database.introspection.table_names())
    assert "developer_serverapikey" in tables
    assert "tenants_serverapikey" not in tables
    assert "platform_subscription" not in tables
    moved_key = new.get_model("developer", "ServerApiKey").objects.using(alias).get()
    assert (moved_key.pk, moved_key.public_id, moved_key.tenant_id) == (key.pk, "sak_upgrade", tenant.pk)
    subscription = new.get_model("plans", "Subscription").objects.using(alias).select_related("plan").get()
    assert (subscription.tenant_id, subscription.plan.slug) == (tenant.pk, "starter")
    entry = new.get_model("billing", "AiLedgerEntry").objects.using(alias).get()
    assert (entry.tenant_id, entry.amount_cents, entry.note) == (tenant.pk, 1500, "before the upgrade")
    assert new.get_model("billing", "AiBalance").objects.using(alias).get().balance_cents == 1500
    assert new.get_model("tenants", "Tenant").objects.using(alias).get().slug == "upgrade"
    labels = set(new.get_model("contenttypes", "ContentType").objects.using(alias).values_list("app_label", "model"))
    assert {(app, model) for app, models in MOVED.items() for model in models} <= labels
    assert not {(OLD_APP[app], model) for app, models in MOVED.items() for model in models} & labels
    assert "oauth_oauthclient" in tables  # the toolkit's models swapped in on the upgraded database


@pytest.mark.django_db(transaction=True)
def test_toolkit_rows_from_before_the_swap_stop_the_upgrade_and_nothing_is_dropped(empty_database):
    executor = MigrationExecutor(empty_database)
    executor.migrate(OLD_LAYOUT)
    _previous_toolkit_history(empty_database, executor)
    with empty_database.cursor() as cursor:
        cursor.execute("INSERT INTO oauth2_provider_application (id) VALUES (1)")
    with pytest.raises(CommandError, match="oauth2_provider_application holds rows"):
        call_command("migrate", database=empty_database.alias, interactive=False, verbosity=0)
    assert set(TOOLKIT_TABLES) <= set(empty_database.introspection.table_names())
