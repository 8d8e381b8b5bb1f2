"""Writes of the consultation: the record and the prior antidepressant trials."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ketaclinic.audit.actions import AuditAction
from ketaclinic.audit.services import audit_change_record, changes_between, snapshot
from ketaclinic.clinics.actors import Actor
from ketaclinic.clinics.authorization import require
from ketaclinic.core import eligibility
from ketaclinic.core.antidepressants import drug_by_code, drug_lookup
from ketaclinic.core.errors import Conflict, RuleViolation
from ketaclinic.core.permissions import Perm
from ketaclinic.intake.consultation_sections import HISTORY_FACTS
from ketaclinic.intake.models import Consultation, PriorTrial
from ketaclinic.patients.models import Patient
from ketaclinic.validation import validated

CONSULTATION_FIELDS = (
    "presenting_problem",
    "diagnosis_codes",
    "prior_suicide_attempts",
    "episode_duration_months",
    "episode_severity",
    "has_had_ect",
    "history",
    "medications",
    "medication_classes",
    "are_medications_reconciled",
    "systolic_mmhg",
    "diastolic_mmhg",
    "heart_rate_bpm",
    "weight_kg",
    "height_cm",
)


TRIAL_FIELDS = (
    "drug",
    "daily_dose_mg",
    "weeks_at_dose",
    "is_dose_adequate",
    "is_adherent",
    "is_current_episode",
    "outcome",
    "improvement_percent",
    "role",
    "stopped_for_intolerance",
)


# The form picks the drug by name; callers that know the code (the API, imports) may pass it.
TRIAL_SERVICE_FIELDS = (*TRIAL_FIELDS, "drug_code")


ICD10_CM = re.compile(r"^[A-TV-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")


def _checked(values: dict[str, Any]) -> dict[str, Any]:
    codes = [code.strip().upper() for code in values.get("diagnosis_codes", []) if code.strip()]
    bad = [code for code in codes if not ICD10_CM.match(code)]
    if bad:
        raise RuleViolation(
            _("Not ICD-10-CM codes: %(codes)s.") % {"codes": ", ".join(bad)}, code="bad_icd10", field="diagnosis_codes"
        )
    if "diagnosis_codes" in values:
        values["diagnosis_codes"] = codes
    if "history" in values:
        unknown = set(values["history"]) - set(HISTORY_FACTS)
        if unknown:
            raise RuleViolation(_("Unknown history questions."), code="unknown_history", field="history")
        values["history"] = {name: answer for name, answer in values["history"].items() if answer is not None}
    if "medication_classes" in values:
        values["medication_classes"] = sorted(
            {eligibility.MedicationClass(v).value for v in values["medication_classes"]}
        )
    return values


@transaction.atomic
def consultation_start(*, actor: Actor, patient: Patient) -> Consultation:
    require(actor, Perm.CONSULTATION_WRITE, center_id=patient.center_id)
    # Two clicks on "start" must not open two consultations.
    Patient.objects.select_for_update().only("pk").get(pk=patient.pk)
    if Consultation.objects.in_use().filter(patient_id=patient.pk, status=Consultation.Status.DRAFT).exists():
        raise Conflict(_("A consultation is already open for this patient."), code="consultation_open")
    consultation = Consultation(patient=patient, prescriber=actor.user, started_at=timezone.now())
    validated(consultation)
    consultation.save()
    audit_change_record(
        actor=actor,
        instance=consultation,
        action=AuditAction.CONSULTATION_STARTED,
        changes=changes_between({}, snapshot(consultation)),
    )
    return consultation


@transaction.atomic
def consultation_update(*, actor: Actor, consultation: Consultation, fields: Mapping[str, Any]) -> Consultation:
    """Save the record; after signing, every change is an amendment kept in its history."""
    require(actor, Perm.CONSULTATION_WRITE, center_id=consultation.patient.center_id)
    unknown = set(fields) - set(CONSULTATION_FIELDS)
    if unknown:
        raise RuleViolation(
            _("Unknown fields: %(names)s.") % {"names": ", ".join(sorted(unknown))}, code="unknown_field"
        )
    values = _checked(dict(fields))
    consultation = Consultation.objects.select_for_update().select_related("patient").get(pk=consultation.pk)
    before = snapshot(consultation)
    for name, value in values.items():
        setattr(consultation, name, value)
    validated(consultation)
    changes = changes_between(before, snapshot(consultation))
    if changes:
        consultation.save()
        action = (
            AuditAction.CONSULTATION_AMENDED
            if consultation.status == Consultation.Status.SIGNED
            else AuditAction.CONSULTATION_UPDATED
        )
        audit_change_record(actor=actor, instance=consultation, action=action, changes=changes)
    return consultation


@transaction.atomic
def prior_trial_add(*, actor: Actor, consultation: Consultation, fields: Mapping[str, Any]) -> PriorTrial:
    """Record a prior trial, coding its drug from the list (a brand name codes as its ingredient)."""
    require(actor, Perm.CONSULTATION_WRITE, center_id=consultation.patient.center_id)
    values = {k: v for k, v in fields.items() if k in TRIAL_SERVICE_FIELDS}
    values["drug"] = " ".join(str(values.get("drug") or "").split())
    code = str(values.get("drug_code") or "").strip()
    concept = drug_by_code(code) if code else drug_lookup(values["drug"])
    if code and concept is None:
        raise RuleViolation(
            _("%(code)s is not in the drug list.") % {"code": code}, code="unknown_drug_code", field="drug"
        )
    values["drug_code"] = concept.code if concept is not None else ""
    if not values["drug"] and concept is not None:
        values["drug"] = concept.ingredient
    trial = PriorTrial(consultation=consultation, **values)
    validated(trial)
    trial.save()
    audit_change_record(
        actor=actor, instance=trial, action=AuditAction.PRIOR_TRIAL_ADDED, changes=changes_between({}, snapshot(trial))
    )
    return trial
