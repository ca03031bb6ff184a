"""The audit table refuses UPDATE (and on PostgreSQL DELETE), whatever the code does.

PostgreSQL's test flush uses TRUNCATE, which row triggers do not see; SQLite's flush deletes
row by row, so there only UPDATE is refused by the database (the model refuses both).
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION supervision_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER supervision_auditevent_append_only
    BEFORE UPDATE OR DELETE ON supervision_auditevent
    FOR EACH ROW EXECUTE FUNCTION supervision_audit_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS supervision_auditevent_append_only ON supervision_auditevent;
DROP FUNCTION IF EXISTS supervision_audit_append_only();
"""

SQLITE_FORWARD = [
    """CREATE TRIGGER supervision_auditevent_no_update BEFORE UPDATE ON supervision_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS supervision_auditevent_no_update;",
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(FORWARD)
    elif vendor == "sqlite":
        for sql in SQLITE_FORWARD:
            schema_editor.execute(sql)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(BACKWARD)
    elif vendor == "sqlite":
        for sql in SQLITE_BACKWARD:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("supervision", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
