"""The database refuses to change or remove audit rows.

PostgreSQL: a row trigger raises on UPDATE and DELETE. The one exception is pruning
(audit.services.audit_prune): a DELETE passes only while the transaction has set
`audit.prune` to on AND the row is older than 180 days, the legal minimum, so not even a
mistaken prune can remove younger rows. SQLite: two triggers, the same rules without the
flag (SQLite has no session settings). A database superuser can still disable triggers;
the hash chain (audit_verify) shows what was done then.
"""

from django.db import migrations

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND current_setting('audit.prune', true) = 'on'
       AND OLD.created_at < now() - interval '180 days' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_auditevent_append_only
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_append_only();
"""
SQLITE_UP = [
    """CREATE TRIGGER audit_auditevent_no_update BEFORE UPDATE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit_auditevent is append-only: UPDATE refused'); END""",
    # Django stores SQLite datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC: they compare as text.
    """CREATE TRIGGER audit_auditevent_no_delete BEFORE DELETE ON audit_auditevent
       WHEN OLD.created_at >= strftime('%Y-%m-%d %H:%M:%f', 'now', '-180 days')
       BEGIN SELECT RAISE(ABORT, 'audit_auditevent is append-only: DELETE refused'); END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS audit_auditevent_no_update",
    "DROP TRIGGER IF EXISTS audit_auditevent_no_delete",
]


def up(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_UP:
            schema_editor.execute(statement, params=None)


def down(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_DOWN:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_audit_event_chain_head")]
    operations = [migrations.RunPython(up, down)]
