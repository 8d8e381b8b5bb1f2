"""Allergies on the patient's record."""

from __future__ import annotations

from django.db import transaction

from ketaclinic.audit.actions import AuditAction
from ketaclinic.audit.services import audit_change_record, changes_between, snapshot
from ketaclinic.clinics.actors import Actor
from ketaclinic.clinics.authorization import require
from ketaclinic.core.permissions import Perm
from ketaclinic.patients.models import Allergy, Patient
from ketaclinic.patients.services.record_steps import mark_entered_in_error
from ketaclinic.patients.services.registration import patient_update
from ketaclinic.validation import validated


@transaction.atomic
def allergy_record(
    *, actor: Actor, patient: Patient, substance: str, reaction: str = "", severity: str = Allergy.Severity.UNKNOWN
) -> Allergy:
    require(actor, Perm.ALLERGY_EDIT, center_id=patient.center_id)
    allergy = Allergy(
        patient=patient,
        substance=substance.strip(),
        reaction=reaction.strip(),
        severity=severity,
        recorded_by=actor.user,
    )
    validated(allergy)
    allergy.save()
    audit_change_record(
        actor=actor,
        instance=allergy,
        action=AuditAction.ALLERGY_RECORDED,
        changes=changes_between({}, snapshot(allergy)),
    )
    if patient.has_no_known_allergies:
        # An allergy on file contradicts "no known allergies"; the flag goes so the banner tells the truth.
        patient_update(actor=actor, patient=patient, fields={"has_no_known_allergies": False})
    return allergy


@transaction.atomic
def allergy_mark_entered_in_error(*, actor: Actor, allergy: Allergy, reason: str) -> Allergy:
    require(actor, Perm.ALLERGY_EDIT, center_id=allergy.patient.center_id)
    return mark_entered_in_error(
        actor=actor, record=allergy, reason=reason, action=AuditAction.ALLERGY_ENTERED_IN_ERROR
    )
