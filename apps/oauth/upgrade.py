"""Upgrading a database migrated before Login with Ringnity swapped the toolkit's models.

The project listed ``oauth2_provider`` from its first release, so an existing database has the
toolkit's own migrations applied (and its ``Application``/``Grant`` tables), while the code now
swaps those models for ``oauth.OAuthClient``/``oauth.AuthorizationCode`` (``oauth`` 0001 runs
before ``oauth2_provider`` 0001). Django refuses such a history (``InconsistentMigrationHistory``)
before running anything. Before that release no OAuth endpoint existed and the console never
created OAuth rows, so those tables are empty: the repair drops them and forgets the toolkit's
migrations, and ``migrate`` then builds them again on the swapped models. A table that holds rows
stops the repair with the manual step to take; nothing is ever deleted that holds data.
"""

from django.core.management.base import CommandError
from django.db import transaction
from django.db.migrations.recorder import MigrationRecorder

#: The toolkit's tables, dependents first.
TOOLKIT_TABLES = (
    "oauth2_provider_idtoken",
    "oauth2_provider_refreshtoken",
    "oauth2_provider_accesstoken",
    "oauth2_provider_grant",
    "oauth2_provider_application",
)


def swapped_models_history_repair(*, connection) -> list[str]:
    """Makes the migration history of a pre-swap database consistent; returns the tables it dropped."""
    recorder = MigrationRecorder(connection)
    if not recorder.has_table():
        return []
    applied_apps = {app for app, _ in recorder.applied_migrations()}
    if "oauth2_provider" not in applied_apps or "oauth" in applied_apps:
        return []
    present = [table for table in TOOLKIT_TABLES if table in connection.introspection.table_names()]
    with connection.cursor() as cursor:
        for table in present:
            cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 1")  # noqa: S608 - fixed names
            if cursor.fetchone():
                raise CommandError(
                    f"{table} holds rows from before the OAuth models were swapped; export them, "
                    "empty the oauth2_provider_* tables and run migrate again."
                )
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        for table in present:
            cascade = " CASCADE" if connection.vendor == "postgresql" else ""
            cursor.execute(f"DROP TABLE {connection.ops.quote_name(table)}{cascade}")
        recorder.migration_qs.filter(app="oauth2_provider").delete()
    return present
