# The per-tenant contact total kept by triggers (apps.chat.models.ContactTotal), filled from the
# contacts that exist. PostgreSQL only: on SQLite the table stays empty and the list counts.

import django.db.models.deletion
from django.db import migrations, models

TRIGGERS = """
CREATE FUNCTION chat_contact_total_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO chat_contacttotal (tenant_id, total)
    SELECT tenant_id, count(*) FROM inserted GROUP BY tenant_id
    ON CONFLICT (tenant_id) DO UPDATE SET total = chat_contacttotal.total + excluded.total;
    RETURN NULL;
END $$;
CREATE FUNCTION chat_contact_total_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE chat_contacttotal SET total = chat_contacttotal.total - gone.n
    FROM (SELECT tenant_id, count(*) AS n FROM deleted GROUP BY tenant_id) AS gone
    WHERE chat_contacttotal.tenant_id = gone.tenant_id;
    RETURN NULL;
END $$;
CREATE TRIGGER chat_contact_total_insert AFTER INSERT ON chat_contact
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION chat_contact_total_insert();
CREATE TRIGGER chat_contact_total_delete AFTER DELETE ON chat_contact
    REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION chat_contact_total_delete();
LOCK TABLE chat_contact IN SHARE MODE;
INSERT INTO chat_contacttotal (tenant_id, total) SELECT tenant_id, count(*) FROM chat_contact GROUP BY tenant_id;
"""

DROP = """
DROP TRIGGER IF EXISTS chat_contact_total_insert ON chat_contact;
DROP TRIGGER IF EXISTS chat_contact_total_delete ON chat_contact;
DROP FUNCTION IF EXISTS chat_contact_total_insert();
DROP FUNCTION IF EXISTS chat_contact_total_delete();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(sql)  # several statements, dollar-quoted bodies: one simple query

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0004_client_message_id_per_sender"),
        ("tenants", "0005_move_models_to_layered_apps"),
    ]

    operations = [
        migrations.CreateModel(
            name="ContactTotal",
            fields=[
                (
                    "tenant",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        serialize=False,
                        to="tenants.tenant",
                    ),
                ),
                ("total", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(_on_postgresql(TRIGGERS), _on_postgresql(DROP)),
    ]
