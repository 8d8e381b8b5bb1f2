"""Background work of treatment sessions, run by Django's Tasks (django-tasks-db in production)."""

from __future__ import annotations

from django.tasks import task
from django.utils import timezone

from ketaclinic.measures.models import OutgoingMessage
from ketaclinic.sessions.services.confirmations import (
    session_confirmation_send,
    session_confirmations_queue,
    session_confirmations_to_send,
)


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
