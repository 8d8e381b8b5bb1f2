"""Suicide-risk alerts raised from answers, and their escalation when nobody acknowledges them."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ketaclinic.audit.actions import AuditAction
from ketaclinic.audit.services import audit_change_record, changes_between, snapshot
from ketaclinic.core import instruments as library
from ketaclinic.core.instruments.risk import RiskKind, risk_findings
from ketaclinic.measures.models import QuestionnaireResponse
from ketaclinic.patients.models import PatientAlert
from ketaclinic.patients.services.alerts import patient_alert_raise


def risk_alerts_raise(
    instrument: library.Instrument,
    response: QuestionnaireResponse,
    result: library.ScoreResult,
    *,
    language: str,
    positive_only: bool = False,
) -> None:
    already = set(
        PatientAlert.objects.filter(
            source_type="measures.questionnaireresponse", source_id=str(response.external_id)
        ).values_list("message", flat=True)
    )
    for finding in risk_findings(instrument, result, language=language):
        if positive_only and finding.kind is not RiskKind.POSITIVE:
            continue
        message = (
            _("%(scale)s: suicide-risk answer needs same-day review") % {"scale": instrument.short_name}
            if finding.kind is RiskKind.POSITIVE
            else _("%(scale)s: suicide-risk question unanswered") % {"scale": instrument.short_name}
        )
        if message in already:
            continue
        alert = patient_alert_raise(
            actor=None,
            patient=response.patient,
            kind=PatientAlert.Kind.SUICIDE_RISK,
            message=message,
            reason=f"{finding.reason} (rule {finding.flag}, {finding.level}; source: {finding.source})",
            raised_at=response.completed_at or timezone.now(),
            source_type="measures.questionnaireresponse",
            source_id=str(response.external_id),
        )
        from ketaclinic.measures.tasks import escalate_unacknowledged_risk_alerts

        minutes = response.patient.organization.risk_alert_escalation_minutes
        run_after = alert.raised_at + dt.timedelta(minutes=minutes)
        transaction.on_commit(partial(_enqueue_escalation, escalate_unacknowledged_risk_alerts, run_after))


def _enqueue_escalation(task: Any, run_after: dt.datetime) -> None:
    backend_supports_defer = task.get_backend().supports_defer
    (task.using(run_after=run_after) if backend_supports_defer else task).enqueue()


@transaction.atomic
def risk_alerts_escalate_overdue(*, now: dt.datetime | None = None) -> list[PatientAlert]:
    """Escalate suicide-risk alerts nobody acknowledged within their organization's time."""
    now = now or timezone.now()
    escalated = []
    candidates = (
        PatientAlert.objects.select_for_update()
        .filter(
            kind=PatientAlert.Kind.SUICIDE_RISK,
            acknowledged_at__isnull=True,
            escalated_at__isnull=True,
            resolved_at__isnull=True,
        )
        .in_use()
        .select_related("patient", "patient__organization", "patient__center")
    )
    for alert in candidates:
        minutes = alert.patient.organization.risk_alert_escalation_minutes
        if alert.raised_at + dt.timedelta(minutes=minutes) > now:
            continue
        before = snapshot(alert)
        alert.escalated_at = now
        alert.save(update_fields=["escalated_at"])
        audit_change_record(
            actor=None,
            instance=alert,
            action=AuditAction.PATIENT_ALERT_ESCALATED,
            changes=changes_between(before, snapshot(alert)),
            role="system",
        )
        _notify_escalation(alert, minutes)
        escalated.append(alert)
    return escalated


def _notify_escalation(alert: PatientAlert, minutes: int) -> None:
    from ketaclinic.clinics.models import StaffRole
    from ketaclinic.core.permissions import Role

    recipients = sorted(
        set(
            StaffRole.objects.filter(
                center_id=alert.patient.center_id, role__in=[Role.PRESCRIBER, Role.CENTER_ADMIN], is_active=True
            )
            .exclude(user__email="")
            .values_list("user__email", flat=True)
        )
    )
    if not recipients:
        return
    url = settings.KETACLINIC_PUBLIC_URL.rstrip("/") + reverse("measures:alert_queue")
    # No name or answer in the email: it only says where to look.
    body = _(
        "A suicide-risk alert for patient record %(mrn)s at %(center)s has not been acknowledged "
        "for %(minutes)s minutes. Open the risk alert queue: %(url)s"
    ) % {"mrn": alert.patient.mrn, "center": alert.patient.center.name, "minutes": minutes, "url": url}
    transaction.on_commit(
        lambda: send_mail(_("Unacknowledged suicide-risk alert"), body, None, recipients, fail_silently=False)
    )
