"""Alerts on the patient's banner: raised, acknowledged, resolved."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ketaclinic.audit.actions import AuditAction
from ketaclinic.audit.services import audit_change_record, changes_between, snapshot
from ketaclinic.clinics.actors import Actor
from ketaclinic.clinics.authorization import require
from ketaclinic.core.errors import RuleViolation
from ketaclinic.core.permissions import Perm
from ketaclinic.patients.models import Patient, PatientAlert
from ketaclinic.patients.services.record_steps import close_out
from ketaclinic.validation import validated


@transaction.atomic
def patient_alert_raise(
    *,
    actor: Actor | None,
    patient: Patient,
    kind: str,
    message: str,
    reason: str,
    raised_at: dt.datetime | None = None,
    source_type: str = "",
    source_id: str = "",
) -> PatientAlert:
    """Put an alert on the patient's banner; ``actor`` is None when a rule raised it."""
    if actor is not None:
        require(actor, Perm.PATIENT_EDIT, center_id=patient.center_id)
    alert = PatientAlert(
        patient=patient,
        kind=kind,
        message=message,
        reason=reason,
        raised_at=raised_at or timezone.now(),
        raised_by=actor.user if actor is not None else None,
        source_type=source_type,
        source_id=source_id,
    )
    validated(alert)
    alert.save()
    audit_change_record(
        actor=actor,
        instance=alert,
        action=AuditAction.PATIENT_ALERT_RAISED,
        changes=changes_between({}, snapshot(alert)),
    )
    return alert


@transaction.atomic
def patient_alert_resolve(*, actor: Actor, alert: PatientAlert, resolution: str) -> PatientAlert:
    require(actor, Perm.PATIENT_EDIT, center_id=alert.patient.center_id)
    if alert.kind == PatientAlert.Kind.SUICIDE_RISK:
        # Only a clinician closes a suicide-risk alert, and only after saying what was done.
        require(actor, Perm.RISK_ALERT_ACKNOWLEDGE, center_id=alert.patient.center_id)
        if alert.acknowledged_at is None:
            raise RuleViolation(
                _("Acknowledge the risk alert, with the action taken, before resolving it."),
                code="not_acknowledged",
                field="resolution",
            )
    if not resolution.strip():
        raise RuleViolation(_("Say how the alert was resolved."), code="resolution_required", field="resolution")
    return close_out(
        actor=actor,
        record=alert,
        action=AuditAction.PATIENT_ALERT_RESOLVED,
        stamp="resolved_at",
        by="resolved_by",
        note_field="resolution",
        note=resolution,
        already=(_("This alert is already resolved."), "alert_already_resolved"),
    )


@transaction.atomic
def patient_alert_acknowledge(*, actor: Actor, alert: PatientAlert, action_taken: str) -> PatientAlert:
    """A clinician has seen a risk alert and says what they did; the alert stays until resolved."""
    require(actor, Perm.RISK_ALERT_ACKNOWLEDGE, center_id=alert.patient.center_id)
    if not action_taken.strip():
        raise RuleViolation(_("Say what was done about the alert."), code="action_required", field="action_taken")
    return close_out(
        actor=actor,
        record=alert,
        action=AuditAction.PATIENT_ALERT_ACKNOWLEDGED,
        stamp="acknowledged_at",
        by="acknowledged_by",
        note_field="action_taken",
        note=action_taken,
        already=(_("This alert was already acknowledged."), "alert_already_acknowledged"),
    )
