from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ketaclinic.measures.tasks import escalate_unacknowledged_risk_alerts, send_measurement_reminders


class Command(BaseCommand):
    help = "Enqueue today's reminders and a sweep for unacknowledged risk alerts (run from cron)."

    def handle(self, *args: Any, **options: Any) -> None:
        for job in (send_measurement_reminders, escalate_unacknowledged_risk_alerts):
            result = job.enqueue()
            self.stdout.write(f"Enqueued {job.name}: {result.id}")
