"""Every write to a patient's record: validated, written and audited in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ketaclinic.audit.services import EntryFacts, audit_change_record, audit_event_record, changes_between, snapshot
from ketaclinic.clinics.authorization import require, role_label_for
from ketaclinic.clinics.models import Organization, TreatmentCenter
from ketaclinic.core.errors import Conflict, RuleViolation
from ketaclinic.core.permissions import Perm
from ketaclinic.patients.models import (
    Allergy,
    CareTeamMember,
    EmergencyAccess,
    Patient,
    PatientAlert,
    PregnancyTest,
)
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
CARE_TEAM_FIELDS = (
    "role",
    "name",
    "practice",
    "phone",
    "fax",
    "email",
    "npi",
    "has_consent_to_share",
    "consent_recorded_on",
)


def _only(fields: Mapping[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise RuleViolation(
            _("Unknown fields: %(names)s.") % {"names": ", ".join(sorted(unknown))}, code="unknown_field"
        )
    return dict(fields)


def mrn_allocate(*, organization: Organization, count: int = 1) -> list[str]:
    """Hand out the next record numbers of an organization; the row lock keeps them unique."""
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    first = org.last_mrn_number + 1
    org.last_mrn_number += count
    org.save(update_fields=["last_mrn_number"])
    return [f"{org.mrn_prefix}{number:07d}" for number in range(first, first + count)]


@transaction.atomic
def patient_create(*, actor: Any, center: TreatmentCenter, fields: Mapping[str, Any]) -> Patient:
    require(actor, Perm.PATIENT_CREATE, center_id=center.pk)
    values = _only(fields, PATIENT_FIELDS)
    if values.get("date_of_birth") and values["date_of_birth"] > timezone.localdate():
        raise RuleViolation(_("Date of birth cannot be in the future."), code="dob_in_future", field="date_of_birth")
    patient = Patient(organization_id=center.organization_id, center=center, mrn="pending", **values)
    validated(patient)
    (patient.mrn,) = mrn_allocate(organization=center.organization)
    patient.save()
    audit_change_record(
        actor=actor, instance=patient, action="patient.created", changes=changes_between({}, snapshot(patient))
    )
    return patient


@transaction.atomic
def patient_update(*, actor: Any, patient: Patient, fields: Mapping[str, Any]) -> Patient:
    require(actor, Perm.PATIENT_EDIT, center_id=patient.center_id)
    values = _only(fields, PATIENT_FIELDS)
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
    audit_change_record(actor=actor, instance=patient, action="patient.updated", changes=changes)
    return patient


@transaction.atomic
def allergy_record(
    *, actor: Any, patient: Patient, substance: str, reaction: str = "", severity: str = Allergy.Severity.UNKNOWN
) -> Allergy:
    require(actor, Perm.ALLERGY_EDIT, center_id=patient.center_id)
    allergy = Allergy(
        patient=patient, substance=substance.strip(), reaction=reaction.strip(), severity=severity, recorded_by=actor
    )
    validated(allergy)
    allergy.save()
    audit_change_record(
        actor=actor, instance=allergy, action="allergy.recorded", changes=changes_between({}, snapshot(allergy))
    )
    if patient.has_no_known_allergies:
        # An allergy on file contradicts "no known allergies"; the flag goes so the banner tells the truth.
        patient_update(actor=actor, patient=patient, fields={"has_no_known_allergies": False})
    return allergy


def _close_out(
    *,
    actor: Any,
    record: Any,
    action: str,
    stamp: str,
    note_field: str,
    note: str,
    by: str | None = None,
    already: tuple[str, str],
    reason: str = "",
) -> Any:
    """Stamp a one-time step on a record (resolved, acknowledged, reviewed, in error) and audit it.

    The row is locked first, so two people pressing the button together cannot both do it.
    """
    record = type(record).objects.select_for_update().get(pk=record.pk)
    if getattr(record, stamp) is not None:
        raise Conflict(already[0], code=already[1])
    before = snapshot(record)
    setattr(record, stamp, timezone.now())
    setattr(record, note_field, note.strip())
    if by is not None:
        setattr(record, by, actor)
    record.save()
    audit_change_record(
        actor=actor, instance=record, action=action, changes=changes_between(before, snapshot(record)), reason=reason
    )
    return record


def _mark_entered_in_error(*, actor: Any, record: Any, reason: str, action: str) -> Any:
    if not reason.strip():
        raise RuleViolation(_("Say why the entry was wrong."), code="reason_required", field="reason")
    return _close_out(
        actor=actor,
        record=record,
        action=action,
        stamp="entered_in_error_at",
        note_field="entered_in_error_reason",
        note=reason,
        already=(_("This entry is already marked as entered in error."), "already_in_error"),
        reason=reason,
    )


@transaction.atomic
def allergy_mark_entered_in_error(*, actor: Any, allergy: Allergy, reason: str) -> Allergy:
    require(actor, Perm.ALLERGY_EDIT, center_id=allergy.patient.center_id)
    return _mark_entered_in_error(actor=actor, record=allergy, reason=reason, action="allergy.entered_in_error")


@transaction.atomic
def care_team_member_add(*, actor: Any, patient: Patient, fields: Mapping[str, Any]) -> CareTeamMember:
    require(actor, Perm.CARE_TEAM_EDIT, center_id=patient.center_id)
    member = CareTeamMember(patient=patient, **_only(fields, CARE_TEAM_FIELDS))
    _consent_dated(member)
    validated(member)
    member.save()
    audit_change_record(
        actor=actor, instance=member, action="care_team_member.added", changes=changes_between({}, snapshot(member))
    )
    return member


@transaction.atomic
def care_team_member_update(*, actor: Any, member: CareTeamMember, fields: Mapping[str, Any]) -> CareTeamMember:
    require(actor, Perm.CARE_TEAM_EDIT, center_id=member.patient.center_id)
    values = _only(fields, CARE_TEAM_FIELDS)
    member = CareTeamMember.objects.select_for_update().select_related("patient").get(pk=member.pk)
    before = snapshot(member)
    for name, value in values.items():
        setattr(member, name, value)
    _consent_dated(member)
    validated(member)
    changes = changes_between(before, snapshot(member))
    if changes:
        member.save()
        audit_change_record(actor=actor, instance=member, action="care_team_member.updated", changes=changes)
    return member


def _consent_dated(member: CareTeamMember) -> None:
    if member.has_consent_to_share and member.consent_recorded_on is None:
        member.consent_recorded_on = timezone.localdate()
    if not member.has_consent_to_share:
        member.consent_recorded_on = None


@transaction.atomic
def care_team_member_mark_entered_in_error(*, actor: Any, member: CareTeamMember, reason: str) -> CareTeamMember:
    require(actor, Perm.CARE_TEAM_EDIT, center_id=member.patient.center_id)
    return _mark_entered_in_error(actor=actor, record=member, reason=reason, action="care_team_member.entered_in_error")


@transaction.atomic
def patient_alert_raise(
    *,
    actor: Any,
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
        raised_by=actor,
        source_type=source_type,
        source_id=source_id,
    )
    validated(alert)
    alert.save()
    audit_change_record(
        actor=actor, instance=alert, action="patient_alert.raised", changes=changes_between({}, snapshot(alert))
    )
    return alert


@transaction.atomic
def patient_alert_resolve(*, actor: Any, alert: PatientAlert, resolution: str) -> PatientAlert:
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
    return _close_out(
        actor=actor,
        record=alert,
        action="patient_alert.resolved",
        stamp="resolved_at",
        by="resolved_by",
        note_field="resolution",
        note=resolution,
        already=(_("This alert is already resolved."), "alert_already_resolved"),
    )


@transaction.atomic
def patient_alert_acknowledge(*, actor: Any, alert: PatientAlert, action_taken: str) -> PatientAlert:
    """A clinician has seen a risk alert and says what they did; the alert stays until resolved."""
    require(actor, Perm.RISK_ALERT_ACKNOWLEDGE, center_id=alert.patient.center_id)
    if not action_taken.strip():
        raise RuleViolation(_("Say what was done about the alert."), code="action_required", field="action_taken")
    return _close_out(
        actor=actor,
        record=alert,
        action="patient_alert.acknowledged",
        stamp="acknowledged_at",
        by="acknowledged_by",
        note_field="action_taken",
        note=action_taken,
        already=(_("This alert was already acknowledged."), "alert_already_acknowledged"),
    )


@transaction.atomic
def emergency_access_grant(*, actor: Any, patient: Patient, reason: str) -> EmergencyAccess:
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
        actor=actor,
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
            action="patient.emergency_access_granted",
            actor=actor,
            role=role_label_for(actor, patient.center_id),
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
def emergency_access_review(*, actor: Any, grant: EmergencyAccess, note: str) -> EmergencyAccess:
    require(actor, Perm.AUDIT_REVIEW, center_id=grant.patient.center_id)
    if not note.strip():
        raise RuleViolation(_("Write what the review found."), code="note_required", field="note")
    return _close_out(
        actor=actor,
        record=grant,
        action="emergency_access.reviewed",
        stamp="reviewed_at",
        by="reviewed_by",
        note_field="review_note",
        note=note,
        already=(_("This emergency access was already reviewed."), "already_reviewed"),
    )


@transaction.atomic
def pregnancy_test_record(
    *, actor: Any, patient: Patient, kind: str, result: str, tested_at: dt.datetime, note: str = ""
) -> PregnancyTest:
    """Record a pregnancy test result; the pre-session checklist reads the newest one."""
    require(actor, Perm.VITALS_RECORD, center_id=patient.center_id)
    now = timezone.now()
    if tested_at > now + dt.timedelta(minutes=1):
        raise RuleViolation(_("A test cannot be in the future."), code="test_in_future", field="tested_at")
    test = PregnancyTest(
        patient=patient,
        kind=kind,
        result=result,
        tested_at=tested_at,
        note=note.strip(),
        recorded_by=actor,
        recorded_at=now,
    )
    validated(test)
    test.save()
    audit_change_record(
        actor=actor, instance=test, action="pregnancy_test.recorded", changes=changes_between({}, snapshot(test))
    )
    return test


@transaction.atomic
def pregnancy_test_mark_entered_in_error(*, actor: Any, test: PregnancyTest, reason: str) -> PregnancyTest:
    require(actor, Perm.VITALS_RECORD, center_id=test.patient.center_id)
    if test.result == PregnancyTest.Result.POSITIVE:
        # A positive result stops every dose; only a prescriber may say it was recorded in error.
        require(actor, Perm.PLAN_SIGN, center_id=test.patient.center_id)
    return _mark_entered_in_error(actor=actor, record=test, reason=reason, action="pregnancy_test.entered_in_error")
