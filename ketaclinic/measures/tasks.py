"""Background work of measurement-based care, run by Django's Tasks (django-tasks-db in production)."""

from __future__ import annotations

from django.tasks import task
from django.utils import timezone

from ketaclinic.measures.models import OutgoingMessage
from ketaclinic.measures.services.reminders import measurement_reminders_queue, outgoing_message_send
from ketaclinic.measures.services.risk import risk_alerts_escalate_overdue


@task
def escalate_unacknowledged_risk_alerts() -> int:
    """Enqueued for the moment each risk alert's acknowledgement window closes."""
    return len(risk_alerts_escalate_overdue())


@task
def send_measurement_reminders() -> dict[str, int]:
    """Queue today's reminders and send every queued one (run daily, e.g. from cron)."""
    measurement_reminders_queue(today=timezone.localdate())
    sent = failed = 0
    # Messages without a due item are other reminders (session confirmations) with their own sender.
    queued = OutgoingMessage.objects.filter(status=OutgoingMessage.Status.QUEUED, due__isnull=False)
    for message in queued.select_related("patient", "due"):
        outgoing_message_send(message=message)
        if message.status == OutgoingMessage.Status.SENT:
            sent += 1
        else:
            failed += 1
    return {"sent": sent, "failed": failed}
