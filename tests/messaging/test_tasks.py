"""The daily message tasks moved to ketaclinic.messaging; tasks queued under the old paths still run."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from ketaclinic.core.measurement_schedule import CourseDates
from ketaclinic.core.permissions import Role
from ketaclinic.measures.models import OutgoingMessage
from ketaclinic.measures.services.schedules import measurement_schedule_create
from ketaclinic.messaging.tasks import send_measurement_reminders
from tests.factories import StaffFactory
from tests.steps import acting

OLD_PATH = "ketaclinic.measures.tasks.send_measurement_reminders"
NEW_PATH = "ketaclinic.messaging.tasks.send_measurement_reminders"


@pytest.mark.django_db(transaction=True)
def test_a_reminder_task_queued_under_its_old_path_runs_after_migrating(settings, patient, center):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    patient.email, patient.phone = "ana@example.com", ""
    patient.save()
    measurement_schedule_create(
        actor=acting(StaffFactory(center=center, role=Role.NURSE)),
        patient=patient,
        instruments=["gad7"],
        course=CourseDates(baseline_on=timezone.localdate()),
    )
    send_measurement_reminders.enqueue()
    assert DBTaskResult.objects.get().task_path == NEW_PATH

    # Back to before the move: the queued row names the task where it used to live.
    call_command("migrate", "messaging", "zero", verbosity=0)
    assert DBTaskResult.objects.get().task_path == OLD_PATH

    call_command("migrate", "messaging", verbosity=0)
    assert DBTaskResult.objects.get().task_path == NEW_PATH
    call_command("db_worker", "--batch", "--no-startup-delay")
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    assert len(mail.outbox) == 1
    assert OutgoingMessage.objects.get().status == "sent"
