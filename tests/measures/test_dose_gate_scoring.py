"""Scores stored by the app use the patient's sex and show incomplete screens as minimums (issue #10)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from fhir.resources.R4B.bundle import Bundle

from ketaclinic.fhir.responses import fhir_answers, response_bundle
from ketaclinic.measures.services.links import (
    questionnaire_link_answer,
    questionnaire_link_confirm_identity,
    questionnaire_link_create,
    questionnaire_link_open,
)
from ketaclinic.measures.services.responses import questionnaire_response_save
from ketaclinic.patients.models import PatientAlert, SexAtBirth
from tests.factories import PatientFactory
from tests.steps import acting, signed_in

AUDIT_C_THREE = {1: 2, 2: 1, 3: 0}  # measures.md §2.8 worked example: total 3
CSSRS_Q2_YES_UNFINISHED = {1: 1, 2: 1, 6: 0}  # Q3-Q5 should have been asked


def staff_entry(nurse, patient, code: str, answers, source: str = "staff"):  # type: ignore[no-untyped-def]
    return questionnaire_response_save(
        actor=acting(nurse), patient=patient, instrument_code=code, answers=answers, source=source, complete=True
    )


def cssrs(nurse, patient, answers):  # type: ignore[no-untyped-def]
    """Staff ask the C-SSRS screener (a clinician-rated form: never sent as a link)."""
    return staff_entry(nurse, patient, "cssrs_screener", answers, source="clinician")


def link_entry(nurse, patient, code: str, answers):  # type: ignore[no-untyped-def]
    _link, token = questionnaire_link_create(actor=acting(nurse), patient=patient, instrument_code=code)
    opened = questionnaire_link_open(token=token)
    assert questionnaire_link_confirm_identity(link=opened, date_of_birth=patient.date_of_birth)
    return questionnaire_link_answer(link=opened, answers=answers, complete=True)


@pytest.mark.django_db
@pytest.mark.parametrize("entry", [staff_entry, link_entry], ids=["staff", "patient_link"])
@pytest.mark.parametrize(
    ("sex", "positive"),
    [
        (SexAtBirth.MALE, False),
        (SexAtBirth.FEMALE, True),
        (SexAtBirth.UNKNOWN, True),
        (SexAtBirth.NOT_DISCLOSED, True),
        (SexAtBirth.INTERSEX, True),
    ],
)
def test_audit_c_of_3_is_screened_with_the_patients_sex(center, nurse, entry, sex, positive):
    """Men are positive from 4, women from 3, and unknown or other sex from 3 (measures.md §2.8)."""
    patient = PatientFactory(center=center, sex_at_birth=sex)
    response = entry(nurse, patient, "audit_c", AUDIT_C_THREE)
    response.refresh_from_db()
    assert response.total == 3
    assert response.verdict["screens"]["positive_screen"] is positive
    assert response.verdict["sex"] == {"male": "male", "female": "female", "intersex": "other"}.get(sex, "unknown")


@pytest.mark.django_db
def test_audit_c_fhir_export_scores_with_the_patients_sex(center, nurse):
    """The FHIR export re-scores the answers; a man's 3 must not come back as a positive screen."""
    patient = PatientFactory(center=center, sex_at_birth=SexAtBirth.MALE)
    response = staff_entry(nurse, patient, "audit_c", AUDIT_C_THREE)
    exported = fhir_answers(response)
    assert exported.result is not None
    assert exported.result.screens["positive_screen"] is False
    Bundle.model_validate(response_bundle(response))


@pytest.mark.django_db
def test_unfinished_cssrs_is_stored_as_incomplete_at_least_low_and_alerts(patient, nurse):
    response = cssrs(nurse, patient, CSSRS_Q2_YES_UNFINISHED)
    response.refresh_from_db()
    assert (response.severity, response.completeness) == ("low", "incomplete")
    assert response.band_is_minimum
    assert response.band_display == "Incomplete, at least Low risk (wish to be dead or non-specific thoughts)"
    alerts = PatientAlert.objects.filter(patient=patient, kind=PatientAlert.Kind.SUICIDE_RISK)
    reasons = " ".join(alerts.values_list("reason", flat=True))
    assert "at least low" in reasons
    assert alerts.count() == 2  # the positive answers, and the questions left unasked


@pytest.mark.django_db
def test_unfinished_cssrs_result_page_shows_the_minimum_not_a_band(patient, nurse):
    response = cssrs(nurse, patient, CSSRS_Q2_YES_UNFINISHED)
    url = reverse("measures:response", kwargs={"patient_id": patient.external_id, "response_id": response.external_id})
    page = signed_in(nurse).get(url).content.decode()
    assert "Incomplete, at least Low risk" in page


@pytest.mark.django_db
def test_complete_cssrs_result_page_shows_the_band(patient, nurse):
    response = cssrs(nurse, patient, {1: 1, 2: 0, 6: 0})
    url = reverse("measures:response", kwargs={"patient_id": patient.external_id, "response_id": response.external_id})
    page = signed_in(nurse).get(url).content.decode()
    assert "Low risk (wish to be dead" in page
    assert "Incomplete, at least" not in page


@pytest.mark.django_db
def test_unfinished_cssrs_fhir_observation_says_at_least_and_validates(patient, nurse):
    response = cssrs(nurse, patient, CSSRS_Q2_YES_UNFINISHED)
    bundle = response_bundle(response)
    Bundle.model_validate(bundle)
    observation = bundle["entry"][1]["resource"]
    assert observation["status"] == "preliminary"
    assert "valueCodeableConcept" not in observation
    assert observation["valueString"] == "Incomplete, at least Low risk (wish to be dead or non-specific thoughts)"


@pytest.mark.django_db
def test_qids_with_an_unanswered_weight_pair_has_no_total_in_the_app(patient, nurse):
    """Item 6 answered and 7-9 not: the stored total is null, not a silent 0 for weight."""
    answers = dict(enumerate([1, 3, 0, 0, 2, 2, None, None, None, 2, 1, 1, 2, 2, 1, 2], start=1))
    response = staff_entry(nurse, patient, "qids_sr16", answers)
    response.refresh_from_db()
    assert response.total is None
    assert response.completeness == "incomplete"
    assert response.verdict["missing_items"] == [8, 9]
