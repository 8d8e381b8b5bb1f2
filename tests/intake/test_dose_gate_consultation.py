"""The consultation's own numbers reach the eligibility rules (issue #10, item 4)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from ketaclinic.core.errors import RuleViolation
from ketaclinic.core.permissions import Role
from ketaclinic.intake.assessment import evaluations
from ketaclinic.intake.consultation_sections import HISTORY_FACTS
from ketaclinic.intake.models import EligibilityDecision
from ketaclinic.intake.services.consultation import prior_trial_add
from ketaclinic.intake.services.decision import eligibility_decision_sign
from ketaclinic.measures.services.responses import questionnaire_response_save
from tests.factories import PASSWORD, PatientFactory, StaffFactory, substance_screens_record
from tests.intake.steps import FAILED_TRIAL, consultation_filled_in, trials_entered_on_the_page
from tests.steps import acting, signed_in

PACIFIC = zoneinfo.ZoneInfo("America/Los_Angeles")
CONSULTATION_DAY = dt.datetime(2026, 11, 30, 10, 0, tzinfo=PACIFIC)
SEVERE = "BP 200/120 on 2026-11-30 is at or above 180/120 (severe hypertension)"


@pytest.fixture
def prescriber(center):  # type: ignore[no-untyped-def]
    return StaffFactory(center=center, role=Role.PRESCRIBER, with_password=True)


def _finding(consultation, route: str, rule_id: str):  # type: ignore[no-untyped-def]
    evaluation = next(e for e in evaluations(consultation) if e.route.value == route)
    return next((f for f in evaluation.findings if f.rule_id == rule_id), None)


@pytest.mark.django_db
def test_typed_bp_200_over_120_is_an_absolute_finding_with_the_box_unticked(prescriber, patient):
    """BP typed as numbers fires KET-CI-BP-HAZARD; 'eligible' for IV is then refused."""
    with time_machine.travel(CONSULTATION_DAY, tick=False):
        substance_screens_record(actor=acting(prescriber), patient=patient)
        consultation = consultation_filled_in(prescriber, patient, systolic_mmhg=200, diastolic_mmhg=120)
        assert consultation.history["has_severe_uncontrolled_hypertension"] is False
        finding = _finding(consultation, "iv", "KET-CI-BP-HAZARD")
        assert finding is not None and finding.kind.value == "absolute"
        assert SEVERE in finding.reasons
        with pytest.raises(RuleViolation) as raised:
            eligibility_decision_sign(
                actor=acting(prescriber),
                consultation=consultation,
                route="iv",
                decision="eligible",
                reason="TRD.",
                justifications={"ALL-REL-HTN": "Recheck planned."},
                password=PASSWORD,
            )
    assert raised.value.code == "absolute_contraindication"
    assert "KET-CI-BP-HAZARD" in raised.value.message
    assert not EligibilityDecision.objects.exists()


@pytest.mark.django_db
def test_consultation_page_shows_the_derived_finding_and_the_value_it_used(prescriber, patient):
    """The page names the reading, its date and the threshold beside the absolute finding."""
    with time_machine.travel(CONSULTATION_DAY, tick=False):
        substance_screens_record(actor=acting(prescriber), patient=patient)
        client = signed_in(prescriber)
        record = client.post(reverse("consultations:start", kwargs={"patient_id": patient.external_id}))["Location"]
        form = {f"h_{fact}": "no" for fact in HISTORY_FACTS} | {
            "h_has_escort_home": "yes",
            "are_medications_reconciled": "on",
            "systolic_mmhg": "200",
            "diastolic_mmhg": "120",
        }
        assert client.post(record, form).status_code == 302
        page = client.get(record).content.decode()
    assert "KET-CI-BP-HAZARD" in page
    assert SEVERE in page
    assert "2017 ACC/AHA" in page  # the threshold's source is shown with the finding


@pytest.mark.django_db
def test_stored_audit_c_total_means_alcohol_even_with_the_box_answered_no(prescriber, patient):
    """An AUDIT-C of 2 (not a positive screen) still fires the CNS-depressant interaction."""
    with time_machine.travel(CONSULTATION_DAY - dt.timedelta(days=2), tick=False):
        substance_screens_record(actor=acting(prescriber), patient=patient)
        questionnaire_response_save(
            actor=acting(prescriber),
            patient=patient,
            instrument_code="audit_c",
            answers={1: 1, 2: 1, 3: 0},
            source="staff",
            complete=True,
        )
    with time_machine.travel(CONSULTATION_DAY, tick=False):
        consultation = consultation_filled_in(prescriber, patient)
        assert consultation.history["drinks_alcohol"] is False
        finding = _finding(consultation, "iv", "INT-CNS-DEP")
        assert _finding(consultation, "iv", "ALL-REL-SUD") is None
    assert finding is not None
    assert finding.reasons == (
        "audit_c_total 2 on 2026-11-28 >= 1 (setting audit_c_drinks_alcohol_at_least: drinks alcohol)",
    )


@pytest.mark.django_db
def test_age_from_the_birth_date_names_the_day_and_a_stored_dast10_fires_with_its_date(prescriber, center):
    patient = PatientFactory(center=center, date_of_birth=dt.date(1959, 1, 2))
    with time_machine.travel(CONSULTATION_DAY - dt.timedelta(days=10), tick=False):
        substance_screens_record(actor=acting(prescriber), patient=patient)
        questionnaire_response_save(
            actor=acting(prescriber),
            patient=patient,
            instrument_code="dast10",
            answers=dict.fromkeys(range(1, 5), 1) | dict.fromkeys(range(5, 11), 0),
            source="staff",
            complete=True,
        )
    with time_machine.travel(CONSULTATION_DAY, tick=False):
        consultation = consultation_filled_in(prescriber, patient)
        age = _finding(consultation, "iv", "ALL-CAU-AGE")
        substance = _finding(consultation, "iv", "ALL-REL-SUD")
    assert age is not None
    assert age.reasons == ("age_years 67 years on 2026-11-30 >= 65 years (setting older_adult_age_years)",)
    assert substance is not None
    assert any(reason.startswith("dast10_total ") and " on 2026-11-20 >= 3" in reason for reason in substance.reasons)


# --- item 10: the same drug under a brand and a generic name -----------------------------------


@pytest.mark.django_db
def test_prior_trial_brand_name_is_coded_as_its_ingredient_and_counted_once(prescriber, patient):
    """Sertraline then Zoloft: both coded RxNorm 36437, one failed trial."""
    from ketaclinic.intake.assessment import treatment_resistance
    from ketaclinic.intake.models import PriorTrial

    consultation = consultation_filled_in(prescriber, patient, diagnosis_codes=["F33.2"])
    prior_trial_add(actor=acting(prescriber), consultation=consultation, fields=FAILED_TRIAL | {"drug": "sertraline"})
    zoloft = prior_trial_add(
        actor=acting(prescriber), consultation=consultation, fields=FAILED_TRIAL | {"drug": " Zoloft "}
    )
    assert (zoloft.drug, zoloft.drug_code) == ("Zoloft", "rxnorm:36437")
    resistance = treatment_resistance(consultation, list(PriorTrial.objects.order_by("pk")))
    assert resistance.failed_trial_count == 1
    assert resistance.meets_definition is False


@pytest.mark.django_db
def test_legacy_free_text_trials_are_mapped_when_counted_and_unknown_names_flagged(prescriber, patient):
    """Rows stored before the coded list (no code) map by name or brand; others are 'not coded'."""
    from ketaclinic.intake.assessment import treatment_resistance
    from ketaclinic.intake.models import PriorTrial

    consultation = consultation_filled_in(prescriber, patient, diagnosis_codes=["F33.2"])
    for drug in ("Sertraline", "Zoloft", "Mystery pill"):
        PriorTrial.objects.create(consultation=consultation, drug=drug, drug_code="", **FAILED_TRIAL)
    resistance = treatment_resistance(consultation, list(PriorTrial.objects.order_by("pk")))
    assert resistance.failed_trial_count == 1  # sertraline once; the unknown waits for review
    assert [j.trial.drug for j in resistance.not_coded] == ["Mystery pill"]


@pytest.mark.django_db
def test_prior_trial_with_a_code_not_in_the_list_is_refused(prescriber, patient):
    from ketaclinic.intake.models import PriorTrial

    consultation = consultation_filled_in(prescriber, patient)
    with pytest.raises(RuleViolation) as raised:
        prior_trial_add(
            actor=acting(prescriber),
            consultation=consultation,
            fields=FAILED_TRIAL | {"drug": "x", "drug_code": "rxnorm:1"},
        )
    assert raised.value.code == "unknown_drug_code"
    assert not PriorTrial.objects.exists()


@pytest.mark.django_db
def test_consultation_page_offers_the_drug_list_and_shows_coding_and_the_duplicate(prescriber, patient):
    """The form offers ingredients and brands; the table shows the code, 'not coded' and why."""
    consultation = consultation_filled_in(prescriber, patient)
    page = trials_entered_on_the_page(prescriber, consultation, "Sertraline", "Zoloft", "Brainzol")
    assert '<option value="Zoloft">Zoloft = sertraline (RxNorm 36437)</option>' in page
    assert 'list="antidepressant-names"' in page
    assert "sertraline (RxNorm 36437)" in page
    assert "same drug as trial 1 (Sertraline): sertraline (RxNorm 36437) already counted in this episode" in page
    assert "not coded: check the drug name" in page
