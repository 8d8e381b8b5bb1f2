"""Background work of measurement-based care, run by Django's Tasks (django-tasks-db in production)."""

from __future__ import annotations

from django.tasks import task

from ketaclinic.measures.services.risk import risk_alerts_escalate_overdue


@task
def escalate_unacknowledged_risk_alerts() -> int:
    """Enqueued for the moment each risk alert's acknowledgement window closes."""
    return len(risk_alerts_escalate_overdue())
