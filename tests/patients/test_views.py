from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from ketaclinic.audit.models import AuditEntry
from ketaclinic.core.permissions import Role
from ketaclinic.patients.models import Patient
from ketaclinic.patients.services.registration import patient_update
from tests.factories import AllergyFactory, CareTeamMemberFactory, PatientAlertFactory, PatientFactory, StaffFactory
from tests.steps import acting, signed_in

# Session, user, the user's roles, the patient with center and organization, its allergies,
# open alerts and care team, and the access entry.
CHART_QUERIES = 8


def chart_url(patient: Patient) -> str:
    return reverse("patients:chart", kwargs={"patient_id": patient.external_id})


@pytest.mark.django_db
@pytest.mark.parametrize("size", [1, 40])
def test_chart_query_count_is_flat_however_big_the_clinic_and_the_record(
    django_assert_num_queries, center, nurse, size
):
    patient = PatientFactory(center=center)
    PatientFactory.create_batch(size, center=center)
    AllergyFactory.create_batch(size, patient=patient)
    CareTeamMemberFactory.create_batch(size, patient=patient)
    PatientAlertFactory.create_batch(size, patient=patient)
    for n in range(size):
        patient_update(actor=acting(nurse), patient=patient, fields={"phone": f"(714) 555-{n:04d}"})
    client = signed_in(nurse)
    client.get(chart_url(patient))  # the first request of a session saves when it was last seen
    with django_assert_num_queries(CHART_QUERIES):
        response = client.get(chart_url(patient))
    assert response.status_code == 200


@pytest.mark.django_db
def test_chart_access_audit_costs_one_query(django_assert_num_queries, settings, patient, nurse):
    """The same page with the access audit switched off makes exactly one query fewer."""
    client = signed_in(nurse)
    client.get(chart_url(patient))
    settings.KETACLINIC_ACCESS_AUDIT = False
    with django_assert_num_queries(CHART_QUERIES - 1):
        client.get(chart_url(patient))
    assert AuditEntry.objects.filter(action="patient.chart_viewed", patient=patient).count() == 1


@pytest.mark.django_db
def test_chart_view_records_who_saw_the_patient_from_where(patient, nurse):
    client = signed_in(nurse)
    response = client.get(chart_url(patient), REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200
    entry = AuditEntry.objects.get(action="patient.chart_viewed")
    assert (entry.actor, entry.patient, entry.role, entry.ip) == (nurse, patient, Role.NURSE, "10.1.2.3")
    assert entry.user_agent == "pytest-client/1.0"
    assert entry.kind == AuditEntry.Kind.ACCESS
    assert not entry.is_emergency


@pytest.mark.django_db
def test_chart_banner_shows_name_age_allergies_and_alerts_with_their_reason(center, nurse):
    patient = PatientFactory(center=center, given_name="Rosa", family_name="Medina", preferred_name="Rosie")
    AllergyFactory(patient=patient, substance="Sulfa drugs", reaction="rash")
    AllergyFactory(patient=patient, substance="Latex", entered_in_error_at="2026-01-01T00:00Z")
    PatientAlertFactory(patient=patient, message="Falls risk", reason="Unsteady after last session")
    body = signed_in(nurse).get(chart_url(patient)).content.decode()
    banner = body[body.index('class="banner"') : body.index('class="tabs"')]
    assert "Medina, Rosa “Rosie”" in banner
    assert f"{patient.age_on(timezone.localdate())} y" in banner
    assert "Sulfa drugs (rash)" in banner
    assert "Latex" not in banner
    assert "Falls risk" in banner
    assert "Why: Unsteady after last session" in banner


@pytest.mark.django_db
def test_chart_says_when_allergies_are_not_yet_recorded(patient, nurse):
    assert "Allergies not yet recorded" in signed_in(nurse).get(chart_url(patient)).content.decode()


@pytest.mark.django_db
def test_patient_list_records_every_patient_shown(center, nurse):
    PatientFactory.create_batch(3, center=center, family_name="Garcia")
    PatientFactory(center=center, family_name="Nguyen")
    response = signed_in(nurse).get(reverse("patients:list"), {"q": "garcia"})
    assert response.status_code == 200
    shown = set(AuditEntry.objects.filter(action="patient.listed").values_list("patient__family_name", flat=True))
    assert shown == {"Garcia"}
    assert AuditEntry.objects.filter(action="patient.listed").count() == 3


@pytest.mark.django_db
def test_patient_search_answers_htmx_with_the_results_fragment(center, nurse):
    PatientFactory(center=center, family_name="Okafor")
    response = signed_in(nurse).get(reverse("patients:list"), {"q": "oka"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="results"')
    assert "Okafor" in body
    assert "<html" not in body


@pytest.mark.django_db
def test_front_desk_registers_a_patient_through_the_form(center):
    client = signed_in(StaffFactory(center=center, role=Role.FRONT_DESK))
    response = client.post(
        reverse("patients:create"),
        {
            "given_name": "Minh",
            "family_name": "Tran",
            "date_of_birth": "1988-04-30",
            "sex_at_birth": "male",
            "preferred_language": "vi",
            "has_no_known_allergies": "on",
        },
    )
    patient = Patient.objects.get()
    assert response.status_code == 302
    assert response["Location"] == chart_url(patient)
    assert (patient.center, patient.preferred_language, patient.has_no_known_allergies) == (center, "vi", True)
    assert AuditEntry.objects.filter(action="patient.created", patient=patient).exists()


@pytest.mark.django_db
def test_registration_with_a_future_birth_date_shows_the_error_and_saves_nothing(center):
    client = signed_in(StaffFactory(center=center, role=Role.FRONT_DESK))
    response = client.post(
        reverse("patients:create"),
        {
            "given_name": "Minh",
            "family_name": "Tran",
            "date_of_birth": "2999-01-01",
            "sex_at_birth": "male",
            "preferred_language": "en",
        },
    )
    assert response.status_code == 200
    assert "Date of birth cannot be in the future." in response.content.decode()
    assert not Patient.objects.exists()


@pytest.mark.django_db
def test_edit_form_saves_and_keeps_history(patient, nurse):
    client = signed_in(nurse)
    data = {
        "given_name": patient.given_name,
        "family_name": patient.family_name,
        "date_of_birth": patient.date_of_birth.isoformat(),
        "sex_at_birth": patient.sex_at_birth,
        "preferred_language": "en",
        "pronouns": "she/her",
    }
    response = client.post(reverse("patients:edit", kwargs={"patient_id": patient.external_id}), data)
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="patient.updated")
    assert entry.changes["pronouns"] == ["", "she/her"]
    history = client.get(reverse("patients:history", kwargs={"patient_id": patient.external_id})).content.decode()
    assert "patient.updated" in history
    assert "she/her" in history


@pytest.mark.django_db
def test_care_team_added_through_the_tab(patient, center):
    client = signed_in(StaffFactory(center=center, role=Role.THERAPIST))
    url = reverse("patients:care_team_add", kwargs={"patient_id": patient.external_id})
    response = client.post(url, {"role": "primary_care", "name": "Dr. Imani Brooks", "has_consent_to_share": "on"})
    assert response.status_code == 302
    page = client.get(reverse("patients:care_team", kwargs={"patient_id": patient.external_id})).content.decode()
    assert "Dr. Imani Brooks" in page
    assert "Yes, since" in page


@pytest.mark.django_db
def test_pages_carry_a_strict_content_security_policy(patient, nurse):
    response = signed_in(nurse).get(chart_url(patient))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "default-src 'none'" in policy
    assert "unsafe-inline" not in policy
    assert response["X-Frame-Options"] == "DENY"
