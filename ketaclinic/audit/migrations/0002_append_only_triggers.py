"""Make audit entries append-only in the database itself, not only in the ORM.

Sealing may fill ``seq`` and ``chain_mac`` once; every other update is refused. On
PostgreSQL deletes are refused too. SQLite keeps deletes open because Django's test
flush empties tables with DELETE; the chain still reports a removed entry.
"""

from django.db import migrations

SQLITE_UPDATE = """
CREATE TRIGGER audit_entry_append_only_update
BEFORE UPDATE ON audit_auditentry
WHEN OLD.seq IS NOT NULL
  OR NEW.entry_id IS NOT OLD.entry_id OR NEW.at IS NOT OLD.at OR NEW.kind IS NOT OLD.kind
  OR NEW.action IS NOT OLD.action OR NEW.actor_id IS NOT OLD.actor_id
  OR NEW.actor_label IS NOT OLD.actor_label OR NEW.role IS NOT OLD.role
  OR NEW.center_id IS NOT OLD.center_id OR NEW.patient_id IS NOT OLD.patient_id
  OR NEW.object_type IS NOT OLD.object_type OR NEW.object_id IS NOT OLD.object_id
  OR NEW.changes IS NOT OLD.changes OR NEW.ip IS NOT OLD.ip OR NEW.user_agent IS NOT OLD.user_agent
  OR NEW.reason IS NOT OLD.reason OR NEW.is_emergency IS NOT OLD.is_emergency
  OR NEW.key_id IS NOT OLD.key_id OR NEW.row_mac IS NOT OLD.row_mac
BEGIN
  SELECT RAISE(ABORT, 'audit entries are append-only');
END;
"""

POSTGRES = """
CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'audit entries are append-only';
  END IF;
  IF OLD.seq IS NOT NULL OR
     (to_jsonb(NEW) - 'seq' - 'chain_mac') IS DISTINCT FROM (to_jsonb(OLD) - 'seq' - 'chain_mac') THEN
    RAISE EXCEPTION 'audit entries are append-only';
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_entry_append_only
BEFORE UPDATE OR DELETE ON audit_auditentry
FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only();
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES)
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_UPDATE)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_auditentry;")
        schema_editor.execute("DROP FUNCTION IF EXISTS audit_entry_append_only();")
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS audit_entry_append_only_update;")


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(install, remove)]
