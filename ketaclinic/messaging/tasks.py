"""Messages sent in the background, by Django's Tasks (django-tasks-db in production).

Both tasks run daily (``enqueue_measure_jobs``). Until the ``messaging`` app they lived in
``ketaclinic.measures.tasks`` and ``ketaclinic.sessions.tasks``; migration
``messaging.0001_task_paths`` points tasks queued under those paths here.
"""

from __future__ import annotations

from django.tasks import task
from django.utils import timezone

from ketaclinic.measures.models import OutgoingMessage
from ketaclinic.messaging.confirmations import (
    session_confirmation_send,
    session_confirmations_queue,
    session_confirmations_to_send,
)
from ketaclinic.messaging.reminders import (
    measurement_reminders_queue,
    measurement_reminders_to_send,
    outgoing_message_send,
)


@task
def send_measurement_reminders() -> dict[str, int]:
    """Queue today's reminders and send every queued one (run daily, e.g. from cron)."""
    measurement_reminders_queue(today=timezone.localdate())
    sent = failed = 0
    for message in measurement_reminders_to_send():
        outgoing_message_send(message=message)
        if message.status == OutgoingMessage.Status.SENT:
            sent += 1
        else:
            failed += 1
    return {"sent": sent, "failed": failed}


@task
def send_session_confirmations() -> dict[str, int]:
    """Ask about tomorrow's sessions and send every queued ask (run daily, e.g. from cron)."""
    session_confirmations_queue(now=timezone.now())
    sent = failed = 0
    for confirmation in session_confirmations_to_send():
        message = session_confirmation_send(confirmation=confirmation)
        if message.status == OutgoingMessage.Status.SENT:
            sent += 1
        else:
            failed += 1
    return {"sent": sent, "failed": failed}
