from __future__ import annotations

import json

import pytest
from django.urls import reverse
from fhir.resources.R4B.bundle import Bundle

from ketaclinic.core.permissions import Role
from ketaclinic.measures.models import QuestionnaireResponse
from ketaclinic.measures.services.responses import questionnaire_response_save
from ketaclinic.measures.services.schedules import measurement_schedule_create
from ketaclinic.patients.models import PatientAlert
from tests.factories import PatientFactory, StaffFactory
from tests.steps import acting, signed_in

WORKED_EXAMPLE = {1: 2, 2: 3, 3: 2, 4: 2, 5: 1, 6: 2, 7: 1, 8: 0, 9: 1}


def record_phq9(actor, patient, answers):  # type: ignore[no-untyped-def]
    return questionnaire_response_save(
        actor=acting(actor), patient=patient, instrument_code="phq9", answers=answers, source="staff", complete=True
    )


def measures_url(patient) -> str:  # type: ignore[no-untyped-def]
    return reverse("measures:patient", kwargs={"patient_id": patient.external_id})


@pytest.mark.django_db
@pytest.mark.parametrize("count", [1, 40])
def test_measures_tab_query_count_is_flat(django_assert_num_queries, center, nurse, count):
    patient = PatientFactory(center=center)
    for n in range(count):
        record_phq9(nurse, patient, dict.fromkeys(range(1, 10), n % 4))
    client = signed_in(nurse)
    client.get(measures_url(patient))
    # session, user, roles, patient (+ allergies, alerts, care team), responses, in progress,
    # due items, the access entry
    with django_assert_num_queries(11):
        response = client.get(measures_url(patient))
    assert response.status_code == 200


@pytest.mark.django_db
def test_measures_tab_shows_the_trajectory_data_baseline_change_and_verdicts(center, nurse, patient):
    record_phq9(nurse, patient, dict.fromkeys(range(1, 10), 2) | {9: 0})  # 16
    record_phq9(nurse, patient, dict.fromkeys(range(1, 10), 0) | {1: 1, 2: 1, 3: 1})  # 3
    page = signed_in(nurse).get(measures_url(patient)).content.decode()
    data = json.loads(page.split('<script id="trajectory-phq9" type="application/json">')[1].split("</script>")[0])
    assert [p["total"] for p in data["points"]] == [16, 3]
    assert data["baseline"]["total"] == 16
    assert data["max"] == 27
    assert data["bands"][0] == {"from": 0, "to": 4, "label": "Minimal or none"}
    assert (data["response_threshold"], data["remission_threshold"]) == (8.0, 4)
    assert "81% improvement" in page
    assert "Response: met" in page
    assert "Remission: met" in page
    assert "a reduction of 50% or more from baseline" in page


@pytest.mark.django_db
def test_staff_entry_form_submits_and_shows_the_reasons(center, nurse, patient):
    client = signed_in(nurse)
    url = reverse("measures:enter", kwargs={"patient_id": patient.external_id, "code": "phq9"})
    assert "little interest or pleasure" in client.get(url).content.decode().lower()
    post = {f"item_{n}": str(v) for n, v in WORKED_EXAMPLE.items()} | {"source": "staff", "submit": "1"}
    response = client.post(url, post)
    stored = QuestionnaireResponse.objects.get()
    assert response.status_code == 302
    assert response["Location"] == stored.get_absolute_url()
    detail = client.get(stored.get_absolute_url()).content.decode()
    assert "Total: 14" in detail
    assert "Moderate" in detail
    assert "phq9_item9_positive" in detail


@pytest.mark.django_db
def test_staff_entry_can_save_progress(center, nurse, patient):
    url = reverse("measures:enter", kwargs={"patient_id": patient.external_id, "code": "gad7"})
    signed_in(nurse).post(url, {"item_1": "2", "source": "staff", "save": "1"})
    saved = QuestionnaireResponse.objects.get()
    assert saved.status == "in_progress"
    assert saved.answers == {"1": 2}


@pytest.mark.django_db
def test_link_page_shows_a_qr_code_and_the_link_once(center, nurse, patient):
    response = signed_in(nurse).post(
        reverse("measures:link_create", kwargs={"patient_id": patient.external_id}),
        {"instrument": "phq9", "language": "en"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "data:image/svg+xml" in page
    assert "/q/" in page


@pytest.mark.django_db
def test_fhir_export_is_a_valid_r4_bundle_with_the_loinc_total(center, nurse, patient):
    stored = record_phq9(nurse, patient, WORKED_EXAMPLE)
    url = reverse("fhir:response", kwargs={"patient_id": patient.external_id, "response_id": stored.external_id})
    body = signed_in(nurse).get(url).json()
    bundle = Bundle.model_validate(body)
    observation = next(e.resource for e in bundle.entry if e.resource.__resource_type__ == "Observation")
    assert observation.code.coding[0].code == "44261-6"
    assert observation.valueInteger == 14


@pytest.mark.django_db
def test_risk_queue_lists_and_acknowledges_alerts(center, nurse, patient):
    record_phq9(nurse, patient, WORKED_EXAMPLE)
    client = signed_in(nurse)
    queue = client.get(reverse("measures:alert_queue")).content.decode()
    assert patient.family_name in queue
    assert "Several days" in queue
    alert = PatientAlert.objects.get()
    client.post(
        reverse("measures:alert_acknowledge", kwargs={"alert_id": alert.external_id}),
        {"action_taken": "Called; safety plan reviewed."},
    )
    alert.refresh_from_db()
    assert alert.acknowledged_by == nurse
    assert "safety plan reviewed" in client.get(reverse("measures:alert_queue")).content.decode()


@pytest.mark.django_db
def test_instrument_list_shows_which_scales_await_licensed_wording(center):
    page = signed_in(StaffFactory(center=center, role=Role.CENTER_ADMIN)).get(reverse("measures:instruments"))
    rows = {row.split("<strong>")[1].split("</strong>")[0]: row for row in page.content.decode().split("<tr>")[2:]}
    madrs_row, phq9_row = rows["MADRS"], rows["PHQ-9"]
    assert "Awaiting licensed wording" in madrs_row
    assert "Included" in phq9_row


@pytest.mark.django_db
def test_due_list_separates_overdue_from_upcoming(center, nurse):
    import datetime as dt

    from django.utils import timezone

    from ketaclinic.core.measurement_schedule import CourseDates

    late, soon = PatientFactory(center=center, family_name="Late"), PatientFactory(center=center, family_name="Soon")
    today = timezone.localdate()
    measurement_schedule_create(
        actor=acting(nurse),
        patient=late,
        instruments=["phq9"],
        course=CourseDates(baseline_on=today - dt.timedelta(days=10)),
    )
    measurement_schedule_create(
        actor=acting(nurse),
        patient=soon,
        instruments=["phq9"],
        course=CourseDates(baseline_on=today + dt.timedelta(days=2)),
    )
    page = signed_in(nurse).get(reverse("measures:due_list")).content.decode()
    overdue, upcoming = page.split("Due in the next 7 days")
    assert "Late" in overdue
    assert "Soon" not in overdue
    assert "Soon" in upcoming
