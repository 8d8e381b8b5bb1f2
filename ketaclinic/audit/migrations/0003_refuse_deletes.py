"""Refuse DELETE of audit entries on SQLite too, sealed or waiting to be sealed.

PostgreSQL already refuses deletes (0002). On SQLite the trigger asks the process through
``audit_entry_removal_allowed()`` (ketaclinic.audit.guard), which only a test run's flush sets.
"""

from django.db import migrations

SQLITE_DELETE = """
CREATE TRIGGER audit_entry_append_only_delete
BEFORE DELETE ON audit_auditentry
WHEN audit_entry_removal_allowed() IS NOT 1
BEGIN
  SELECT RAISE(ABORT, 'audit entries are append-only');
END;
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_DELETE)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS audit_entry_append_only_delete;")


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_triggers")]

    operations = [migrations.RunPython(install, remove)]
