"""Every URL, as every role, against another center's patient: nothing leaks, nothing changes.

The URL list comes from the resolver, so a new view is walked here the day it is added.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ketaclinic.audit.models import AuditEntry
from ketaclinic.core.monitoring import check_reading
from ketaclinic.core.permissions import Role, role_allows
from ketaclinic.intake.models import Consultation, ConsultationRequest
from ketaclinic.measures.services.links import questionnaire_link_create
from ketaclinic.measures.services.responses import questionnaire_response_save
from ketaclinic.patients.models import Allergy, CareTeamMember, ConsentDocument, EmergencyAccess, Patient, PatientAlert
from ketaclinic.patients.services.consents import consent_sign
from ketaclinic.sessions.models import ReadingAlert, VitalSign
from tests.factories import (
    AllergyFactory,
    CareTeamMemberFactory,
    PatientAlertFactory,
    PatientFactory,
    StaffFactory,
    StandInPlanFactory,
    TreatmentSessionFactory,
)
from tests.steps import acting, signed_in
from tests.url_map import all_url_patterns

FOREIGN_NAME = "Quillfeather"
FOREIGN_MRN = "FX0000999"


PATIENT_BOUND = {
    "patient_id",
    "member_id",
    "allergy_id",
    "alert_id",
    "grant_id",
    "response_id",
    "request_id",
    "consultation_id",
    "session_id",
}


def records_for(patient, grant_actor):  # type: ignore[no-untyped-def]
    _link, token = questionnaire_link_create(actor=None, patient=patient, instrument_code="phq9")
    response = questionnaire_response_save(
        actor=acting(grant_actor),
        patient=patient,
        instrument_code="phq9",
        answers=dict.fromkeys(range(1, 10), 0),
        source="staff",
        complete=True,
    )
    inquiry = ConsultationRequest.objects.create(
        center=patient.center,
        given_name="Prospective",
        family_name=f"{patient.family_name}",
        phone="(714) 555-0100",
        reason="Depression for years",
        has_consent_to_contact=True,
        received_at=timezone.now(),
        patient=patient,
    )
    consultation = Consultation.objects.create(patient=patient, prescriber=grant_actor, started_at=timezone.now())
    ConsentDocument.objects.get_or_create(
        organization=patient.organization,
        route="iv",
        version=1,
        defaults={"title": "IV consent", "body": "Risks and benefits. " * 20, "published_at": timezone.now()},
    )
    signature = consent_sign(
        actor=acting(grant_actor),
        patient=patient,
        route="iv",
        typed_name=f"{patient.given_name} {patient.family_name}",
        has_read=True,
    )
    session = TreatmentSessionFactory(plan=StandInPlanFactory(patient=patient, signer=grant_actor), nurse=grant_actor)
    # A reading with an open alert, for the flowsheet's acknowledge action.
    reading = VitalSign.objects.create(
        session=session,
        measured_at=session.starts_at,
        source=VitalSign.Source.HAND,
        recorded_by=grant_actor,
        idempotency_key="url-walk",
        spo2_percent=88,
        alerts=[ReadingAlert.raised(alert).as_json() for alert in check_reading({"spo2_percent": 88}, baseline={})],
    )
    plan = session.plan
    return {
        "session_id": session.external_id,
        "reading_id": reading.external_id,
        "position": 0,
        "plan_id": plan.external_id,
        "signature_id": signature.external_id,
        "route": "iv",
        "consultation_id": consultation.external_id,
        "request_id": inquiry.external_id,
        "center_slug": patient.center.slug,
        "code": "madrs",
        "token": token,
        "response_id": response.external_id,
        "patient_id": patient.external_id,
        "member_id": CareTeamMemberFactory(patient=patient, name=f"Dr. {patient.family_name} PCP").external_id,
        "allergy_id": AllergyFactory(patient=patient).external_id,
        "alert_id": PatientAlertFactory(patient=patient).external_id,
        "grant_id": EmergencyAccess.objects.create(
            actor=grant_actor,
            patient=patient,
            reason="Covering the infusion suite this afternoon.",
            granted_at=timezone.now() - dt.timedelta(hours=3),
            expires_at=timezone.now() - dt.timedelta(hours=2),
        ).external_id,
    }


def url_for(name, needs, ids):  # type: ignore[no-untyped-def]
    return reverse(name, kwargs={key: ids[key] for key in needs})


def state_of_records() -> tuple:
    return (
        Patient.objects.count(),
        Allergy.objects.in_use().count(),
        CareTeamMember.objects.in_use().count(),
        PatientAlert.objects.filter(resolved_at__isnull=True).count(),
        EmergencyAccess.objects.filter(reviewed_at__isnull=True).count(),
        list(Patient.objects.filter(mrn=FOREIGN_MRN).values_list("given_name", "family_name", "phone")),
        list(VitalSign.objects.order_by("pk").values_list("alerts", flat=True)),
    )


@pytest.fixture
def foreign(other_center):  # type: ignore[no-untyped-def]
    patient = PatientFactory(center=other_center, family_name=FOREIGN_NAME, mrn=FOREIGN_MRN)
    return records_for(patient, StaffFactory(center=other_center, role=Role.NURSE))


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_no_url_shows_or_changes_another_centers_patient(role, center, foreign):
    """GET and POST every URL as ``role``: the foreign patient's data never appears and nothing changes."""
    PatientFactory.create_batch(2, center=center)
    client = signed_in(StaffFactory(center=center, role=role))
    before = state_of_records()
    for name, pattern, needs in all_url_patterns():
        if name in {"accounts:logout", "accounts:login"} or getattr(pattern.callback, "is_token_api", False):
            continue
        url = url_for(name, needs, foreign)
        for method in ("get", "post"):
            response = getattr(client, method)(url, follow=True)
            body = response.content.decode()
            assert FOREIGN_NAME not in body, f"{method.upper()} {url} as {role} shows the foreign patient"
            assert FOREIGN_MRN not in body, f"{method.upper()} {url} as {role} shows the foreign MRN"
            if PATIENT_BOUND & set(needs):
                assert response.status_code in {403, 404, 405}, f"{method.upper()} {url} as {role}"
    assert state_of_records() == before
    assert not AuditEntry.objects.filter(patient__mrn=FOREIGN_MRN, kind=AuditEntry.Kind.ACCESS).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_every_url_follows_the_role_table(role, center):
    """On the role's own center, a view refuses exactly the roles its permission leaves out."""
    own = records_for(PatientFactory(center=center), StaffFactory(center=center, role=Role.NURSE))
    client = signed_in(StaffFactory(center=center, role=role))
    for name, pattern, needs in all_url_patterns():
        perm = getattr(pattern.callback, "required_perm", None)
        if perm is None:
            continue
        response = client.get(url_for(name, needs, own))
        if role_allows(role, perm):
            # Allowed roles get the page, a redirect, or a rule's refusal (422), never "forbidden".
            assert response.status_code in {200, 302, 405, 422}, f"{name} as {role}: {response.status_code}"
        else:
            assert response.status_code == 403, f"{name} as {role}: {response.status_code}"


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(center, foreign):
    client = Client()
    for name, pattern, needs in all_url_patterns():
        if getattr(pattern.callback, "is_public", False) or getattr(pattern.callback, "is_token_api", False):
            continue
        response = client.get(url_for(name, needs, foreign))
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("accounts:login")), name


@pytest.mark.django_db
def test_a_role_at_one_center_opens_nothing_at_another_beyond_the_role_held_there(center, other_center):
    """Prescriber at one center, front desk at the other: the second center's records open only
    as far as front desk may go."""
    from ketaclinic.clinics.models import StaffRole

    user = StaffFactory(center=center, role=Role.PRESCRIBER)
    StaffRole.objects.create(user=user, center=other_center, role=Role.FRONT_DESK)
    theirs = records_for(
        PatientFactory(center=other_center, family_name=FOREIGN_NAME, mrn=FOREIGN_MRN),
        StaffFactory(center=other_center, role=Role.NURSE),
    )
    client = signed_in(user)
    for name, pattern, needs in all_url_patterns():
        perm = getattr(pattern.callback, "required_perm", None)
        if perm is None or not PATIENT_BOUND & set(needs) or role_allows(Role.FRONT_DESK, perm):
            continue
        response = client.get(url_for(name, needs, theirs))
        assert response.status_code in {403, 404, 405}, f"{name}: {response.status_code}"
        assert FOREIGN_NAME not in response.content.decode(), name
