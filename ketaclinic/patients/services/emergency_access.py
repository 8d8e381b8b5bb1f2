"""Break the glass: access to a patient outside the actor's centers, and its review."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ketaclinic.audit.actions import AuditAction
from ketaclinic.audit.services import EntryFacts, audit_event_record
from ketaclinic.clinics.actors import Actor
from ketaclinic.clinics.authorization import require
from ketaclinic.core.errors import RuleViolation
from ketaclinic.core.permissions import Perm
from ketaclinic.patients.models import EmergencyAccess, Patient
from ketaclinic.patients.services.record_steps import close_out
from ketaclinic.validation import validated


@transaction.atomic
def emergency_access_grant(*, actor: Actor, patient: Patient, reason: str) -> EmergencyAccess:
    """Break the glass: open a patient outside the actor's centers for a limited time, flagged for review."""
    require(actor, Perm.EMERGENCY_ACCESS)
    reason = reason.strip()
    if len(reason) < 15:
        raise RuleViolation(
            _("State the clinical reason for emergency access in a full sentence."),
            code="reason_required",
            field="reason",
        )
    now = timezone.now()
    grant = EmergencyAccess(
        actor=actor.user,
        patient=patient,
        reason=reason,
        granted_at=now,
        expires_at=now + dt.timedelta(minutes=settings.KETACLINIC_EMERGENCY_ACCESS_MINUTES),
    )
    validated(grant)
    grant.save()
    audit_event_record(
        EntryFacts(
            kind="access",
            action=AuditAction.PATIENT_EMERGENCY_ACCESS_GRANTED,
            actor=actor.user,
            role=actor.role_at(patient.center_id),
            center_id=patient.center_id,
            patient_id=patient.pk,
            object_type="patients.emergencyaccess",
            object_id=str(grant.external_id),
            changes={"expires_at": grant.expires_at},
            reason=reason,
            is_emergency=True,
        )
    )
    return grant


@transaction.atomic
def emergency_access_review(*, actor: Actor, grant: EmergencyAccess, note: str) -> EmergencyAccess:
    require(actor, Perm.AUDIT_REVIEW, center_id=grant.patient.center_id)
    if not note.strip():
        raise RuleViolation(_("Write what the review found."), code="note_required", field="note")
    return close_out(
        actor=actor,
        record=grant,
        action=AuditAction.EMERGENCY_ACCESS_REVIEWED,
        stamp="reviewed_at",
        by="reviewed_by",
        note_field="review_note",
        note=note,
        already=(_("This emergency access was already reviewed."), "already_reviewed"),
    )
