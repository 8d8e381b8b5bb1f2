"""Tasks queued before the messaging app run from their new module.

The database task queue stores each task by dotted path; a task enqueued under the old path
would otherwise fail to import in ``db_worker``.
"""

from django.db import migrations

MOVED = {
    "ketaclinic.measures.tasks.send_measurement_reminders": "ketaclinic.messaging.tasks.send_measurement_reminders",
    "ketaclinic.sessions.tasks.send_session_confirmations": "ketaclinic.messaging.tasks.send_session_confirmations",
}


def _repoint(apps, mapping):
    results = apps.get_model("django_tasks_database", "DBTaskResult")
    for old, new in mapping.items():
        results.objects.filter(task_path=old).update(task_path=new)


def forwards(apps, schema_editor):
    _repoint(apps, MOVED)


def backwards(apps, schema_editor):
    _repoint(apps, {new: old for old, new in MOVED.items()})


class Migration(migrations.Migration):
    dependencies = [("django_tasks_database", "0021_conditional_partial_index_ordering")]

    operations = [migrations.RunPython(forwards, backwards)]
