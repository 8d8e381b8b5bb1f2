from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ketaclinic.measures.tasks import escalate_unacknowledged_risk_alerts
from ketaclinic.messaging.tasks import send_measurement_reminders, send_session_confirmations


class Command(BaseCommand):
    help = (
        "Enqueue today's questionnaire reminders, the day-before session confirmations and a sweep "
        "for unacknowledged risk alerts (run daily from cron)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        for job in (send_measurement_reminders, send_session_confirmations, escalate_unacknowledged_risk_alerts):
            result = job.enqueue()
            self.stdout.write(f"Enqueued {job.name}: {result.id}")
