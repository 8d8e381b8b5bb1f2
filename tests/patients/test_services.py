from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from ketaclinic.audit.models import AuditEntry
from ketaclinic.core.errors import Conflict, Forbidden, NotFound, RuleViolation
from ketaclinic.core.permissions import Perm, Role
from ketaclinic.patients.models import Allergy, CareTeamMember, EmergencyAccess, Patient
from ketaclinic.patients.selectors.patients import patient_get
from ketaclinic.patients.services.alerts import patient_alert_raise, patient_alert_resolve
from ketaclinic.patients.services.allergies import allergy_mark_entered_in_error, allergy_record
from ketaclinic.patients.services.care_team import (
    care_team_member_add,
    care_team_member_mark_entered_in_error,
    care_team_member_update,
)
from ketaclinic.patients.services.emergency_access import emergency_access_grant, emergency_access_review
from ketaclinic.patients.services.registration import patient_create, patient_update
from tests.factories import AllergyFactory, CareTeamMemberFactory, PatientFactory, StaffFactory
from tests.steps import acting

NEW_PATIENT = {
    "given_name": "Lucia",
    "family_name": "Hernandez",
    "date_of_birth": dt.date(1990, 6, 2),
    "sex_at_birth": "female",
    "preferred_language": "es",
}


@pytest.mark.django_db
def test_patient_create_gives_the_next_mrn_and_records_history(center):
    front_desk = StaffFactory(center=center, role=Role.FRONT_DESK)
    first = patient_create(actor=acting(front_desk), center=center, fields=NEW_PATIENT)
    second = patient_create(actor=acting(front_desk), center=center, fields=NEW_PATIENT | {"given_name": "Rosa"})
    assert (first.mrn, second.mrn) == ("KC0000001", "KC0000002")
    entry = AuditEntry.objects.get(action="patient.created", patient=first)
    assert entry.actor == front_desk
    assert entry.kind == AuditEntry.Kind.CHANGE
    assert entry.role == Role.FRONT_DESK
    assert entry.changes["given_name"] == [None, "Lucia"]
    assert entry.changes["date_of_birth"] == [None, "1990-06-02"]


@pytest.mark.django_db
def test_mrns_are_unique_per_organization_not_globally(center):
    elsewhere = StaffFactory(role=Role.FRONT_DESK)
    mine = patient_create(
        actor=acting(StaffFactory(center=center, role=Role.FRONT_DESK)), center=center, fields=NEW_PATIENT
    )
    theirs = patient_create(actor=acting(elsewhere), center=elsewhere.center_roles.get().center, fields=NEW_PATIENT)
    assert mine.mrn == theirs.mrn
    assert mine.organization_id != theirs.organization_id


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "code"),
    [
        (NEW_PATIENT | {"date_of_birth": dt.date(2999, 1, 1)}, "dob_in_future"),
        (NEW_PATIENT | {"sex_at_birth": "dragon"}, "invalid"),
        (NEW_PATIENT | {"email": "not-an-email"}, "invalid"),
        (NEW_PATIENT | {"mrn": "X1"}, "unknown_field"),
    ],
)
def test_patient_create_rejects_bad_input_and_writes_nothing(center, fields, code):
    nurse = StaffFactory(center=center, role=Role.NURSE)
    with pytest.raises(RuleViolation) as raised:
        patient_create(actor=acting(nurse), center=center, fields=fields)
    assert raised.value.code == code
    assert not Patient.objects.exists()
    assert not AuditEntry.objects.exists()
    center.organization.refresh_from_db()
    assert center.organization.last_mrn_number == 0


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.THERAPIST, Role.RESEARCHER])
def test_patient_create_refuses_roles_without_the_permission(center, role):
    with pytest.raises(Forbidden):
        patient_create(actor=acting(StaffFactory(center=center, role=role)), center=center, fields=NEW_PATIENT)
    assert not Patient.objects.exists()


@pytest.mark.django_db
def test_patient_create_refuses_a_center_where_the_actor_has_no_role(center, other_center):
    with pytest.raises(Forbidden):
        patient_create(actor=acting(StaffFactory(center=center)), center=other_center, fields=NEW_PATIENT)


@pytest.mark.django_db
def test_patient_update_records_only_what_changed(patient, nurse):
    patient_update(actor=acting(nurse), patient=patient, fields={"phone": "(714) 555-0199", "given_name": "Ana"})
    entry = AuditEntry.objects.get(action="patient.updated")
    assert entry.changes == {"phone": ["(714) 555-0123", "(714) 555-0199"]}
    patient.refresh_from_db()
    assert patient.phone == "(714) 555-0199"


@pytest.mark.django_db
def test_patient_update_without_changes_writes_no_history(patient, nurse):
    patient_update(actor=acting(nurse), patient=patient, fields={"phone": patient.phone})
    assert not AuditEntry.objects.filter(action="patient.updated").exists()


@pytest.mark.django_db
def test_allergy_record_clears_no_known_allergies(center, nurse):
    patient = PatientFactory(center=center, has_no_known_allergies=True)
    allergy = allergy_record(actor=acting(nurse), patient=patient, substance=" Penicillin ", reaction="hives")
    patient.refresh_from_db()
    assert allergy.substance == "Penicillin"
    assert not patient.has_no_known_allergies
    assert list(AuditEntry.objects.filter(patient=patient).values_list("action", flat=True).order_by("id")) == [
        "allergy.recorded",
        "patient.updated",
    ]


@pytest.mark.django_db
def test_allergy_entered_in_error_keeps_the_row_and_says_why(patient, nurse):
    allergy = AllergyFactory(patient=patient)
    allergy_mark_entered_in_error(actor=acting(nurse), allergy=allergy, reason="Wrong patient's list")
    allergy.refresh_from_db()
    assert allergy.is_entered_in_error
    assert Allergy.objects.filter(pk=allergy.pk).exists()
    assert not Allergy.objects.in_use().filter(pk=allergy.pk).exists()
    entry = AuditEntry.objects.get(action="allergy.entered_in_error")
    assert entry.reason == "Wrong patient's list"
    with pytest.raises(Conflict):
        allergy_mark_entered_in_error(actor=acting(nurse), allergy=allergy, reason="again")


@pytest.mark.django_db
def test_allergy_entered_in_error_needs_a_reason(patient, nurse):
    allergy = AllergyFactory(patient=patient)
    with pytest.raises(RuleViolation) as raised:
        allergy_mark_entered_in_error(actor=acting(nurse), allergy=allergy, reason="  ")
    assert raised.value.field == "reason"
    allergy.refresh_from_db()
    assert not allergy.is_entered_in_error


@pytest.mark.django_db
def test_front_desk_cannot_record_allergies(patient, center):
    with pytest.raises(Forbidden):
        allergy_record(
            actor=acting(StaffFactory(center=center, role=Role.FRONT_DESK)), patient=patient, substance="Latex"
        )
    assert not Allergy.objects.exists()


@pytest.mark.django_db
def test_care_team_consent_is_dated_when_given_and_cleared_when_withdrawn(patient, nurse):
    member = care_team_member_add(
        actor=acting(nurse),
        patient=patient,
        fields={"role": "psychiatrist", "name": "Dr. Park", "has_consent_to_share": True},
    )
    assert member.consent_recorded_on == timezone.localdate()
    member = care_team_member_update(actor=acting(nurse), member=member, fields={"has_consent_to_share": False})
    assert member.consent_recorded_on is None
    history = AuditEntry.objects.get(action="care_team_member.updated")
    assert history.changes["has_consent_to_share"] == [True, False]


@pytest.mark.django_db
def test_care_team_member_entered_in_error(patient, nurse):
    member = CareTeamMemberFactory(patient=patient)
    care_team_member_mark_entered_in_error(actor=acting(nurse), member=member, reason="Duplicate entry")
    assert not CareTeamMember.objects.in_use().exists()
    assert CareTeamMember.objects.count() == 1


@pytest.mark.django_db
def test_alert_raise_and_resolve_are_recorded(patient, nurse):
    alert = patient_alert_raise(
        actor=acting(nurse), patient=patient, kind="clinical", message="BP recheck", reason="162/98 before last dose"
    )
    patient_alert_resolve(actor=acting(nurse), alert=alert, resolution="Rechecked: 128/82")
    alert.refresh_from_db()
    assert alert.resolved_by == nurse
    assert [e.action for e in AuditEntry.objects.filter(patient=patient).order_by("id")] == [
        "patient_alert.raised",
        "patient_alert.resolved",
    ]
    with pytest.raises(Conflict):
        patient_alert_resolve(actor=acting(nurse), alert=alert, resolution="again")


@pytest.mark.django_db
def test_emergency_access_opens_a_foreign_patient_for_a_limited_time(center, other_center, settings):
    settings.KETACLINIC_EMERGENCY_ACCESS_MINUTES = 30
    nurse = StaffFactory(center=center, role=Role.NURSE)
    foreign = PatientFactory(center=other_center)
    with pytest.raises(NotFound):
        patient_get(actor=acting(nurse), perm=Perm.PATIENT_VIEW, patient_id=foreign.external_id)
    grant = emergency_access_grant(
        actor=acting(nurse), patient=foreign, reason="Patient arrived at our center in distress; home center closed."
    )
    assert patient_get(actor=acting(nurse), perm=Perm.PATIENT_VIEW, patient_id=foreign.external_id) == foreign
    assert grant.expires_at - grant.granted_at == dt.timedelta(minutes=30)
    entry = AuditEntry.objects.get(action="patient.emergency_access_granted")
    assert entry.is_emergency
    assert entry.patient == foreign
    assert entry.reason.startswith("Patient arrived")
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=31)), pytest.raises(NotFound):
        patient_get(actor=acting(nurse), perm=Perm.PATIENT_VIEW, patient_id=foreign.external_id)
    assert EmergencyAccess.objects.filter(pk=grant.pk).exists()


@pytest.mark.django_db
def test_emergency_access_needs_a_real_reason(center, other_center):
    nurse = StaffFactory(center=center, role=Role.NURSE)
    with pytest.raises(RuleViolation):
        emergency_access_grant(actor=acting(nurse), patient=PatientFactory(center=other_center), reason="urgent")
    assert not EmergencyAccess.objects.exists()


@pytest.mark.django_db
def test_emergency_access_is_not_for_front_desk(center, other_center):
    with pytest.raises(Forbidden):
        emergency_access_grant(
            actor=acting(StaffFactory(center=center, role=Role.FRONT_DESK)),
            patient=PatientFactory(center=other_center),
            reason="I would like to look at this record please.",
        )


@pytest.mark.django_db
def test_emergency_access_review_by_the_patients_center_admin(center, other_center):
    grant = emergency_access_grant(
        actor=acting(StaffFactory(center=center, role=Role.PRESCRIBER)),
        patient=PatientFactory(center=other_center),
        reason="Covering on-call for the other center tonight.",
    )
    with pytest.raises(Forbidden):
        emergency_access_review(
            actor=acting(StaffFactory(center=center, role=Role.CENTER_ADMIN)), grant=grant, note="ok"
        )
    admin = StaffFactory(center=other_center, role=Role.CENTER_ADMIN)
    emergency_access_review(actor=acting(admin), grant=grant, note="Appropriate: on-call cover.")
    grant.refresh_from_db()
    assert grant.reviewed_by == admin
    assert AuditEntry.objects.filter(action="emergency_access.reviewed", actor=admin).exists()
