"""Registering a patient and keeping their details up to date."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ketaclinic.audit.actions import AuditAction
from ketaclinic.audit.services import audit_change_record, changes_between, snapshot
from ketaclinic.clinics.actors import Actor
from ketaclinic.clinics.authorization import require
from ketaclinic.clinics.models import Organization, TreatmentCenter
from ketaclinic.core.errors import RuleViolation
from ketaclinic.core.permissions import Perm
from ketaclinic.patients.models import Patient
from ketaclinic.patients.services.record_steps import only_known_fields
from ketaclinic.validation import validated

PATIENT_FIELDS = (
    "given_name",
    "middle_name",
    "family_name",
    "preferred_name",
    "date_of_birth",
    "sex_at_birth",
    "gender_identity",
    "pronouns",
    "phone",
    "email",
    "street",
    "city",
    "state",
    "postal_code",
    "preferred_language",
    "needs_interpreter",
    "emergency_contact_name",
    "emergency_contact_relationship",
    "emergency_contact_phone",
    "has_no_known_allergies",
)


def mrn_allocate(*, organization: Organization, count: int = 1) -> list[str]:
    """Hand out the next record numbers of an organization; the row lock keeps them unique."""
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    first = org.last_mrn_number + 1
    org.last_mrn_number += count
    org.save(update_fields=["last_mrn_number"])
    return [f"{org.mrn_prefix}{number:07d}" for number in range(first, first + count)]


@transaction.atomic
def patient_create(*, actor: Actor, center: TreatmentCenter, fields: Mapping[str, Any]) -> Patient:
    require(actor, Perm.PATIENT_CREATE, center_id=center.pk)
    values = only_known_fields(fields, PATIENT_FIELDS)
    if values.get("date_of_birth") and values["date_of_birth"] > timezone.localdate():
        raise RuleViolation(_("Date of birth cannot be in the future."), code="dob_in_future", field="date_of_birth")
    patient = Patient(organization_id=center.organization_id, center=center, mrn="pending", **values)
    validated(patient)
    (patient.mrn,) = mrn_allocate(organization=center.organization)
    patient.save()
    audit_change_record(
        actor=actor,
        instance=patient,
        action=AuditAction.PATIENT_CREATED,
        changes=changes_between({}, snapshot(patient)),
    )
    return patient


@transaction.atomic
def patient_update(*, actor: Actor, patient: Patient, fields: Mapping[str, Any]) -> Patient:
    require(actor, Perm.PATIENT_EDIT, center_id=patient.center_id)
    values = only_known_fields(fields, PATIENT_FIELDS)
    patient = Patient.objects.select_for_update().select_related("center").get(pk=patient.pk)
    before = snapshot(patient)
    for name, value in values.items():
        setattr(patient, name, value)
    if patient.date_of_birth > timezone.localdate():
        raise RuleViolation(_("Date of birth cannot be in the future."), code="dob_in_future", field="date_of_birth")
    validated(patient)
    changes = changes_between(before, snapshot(patient))
    if not changes:
        return patient
    patient.save()
    audit_change_record(actor=actor, instance=patient, action=AuditAction.PATIENT_UPDATED, changes=changes)
    return patient
