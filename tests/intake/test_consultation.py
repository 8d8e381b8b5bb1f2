from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from ketaclinic.audit.models import AuditEntry
from ketaclinic.core.errors import Forbidden, RuleViolation
from ketaclinic.core.permissions import Role
from ketaclinic.intake.assessment import evaluations, treatment_resistance
from ketaclinic.intake.consultation_sections import HISTORY_FACTS
from ketaclinic.intake.models import Consultation, EligibilityDecision, PriorTrial
from ketaclinic.intake.services.consultation import consultation_start, consultation_update, prior_trial_add
from ketaclinic.intake.services.decision import eligibility_decision_sign
from tests.factories import PASSWORD, StaffFactory, substance_screens_record
from tests.steps import acting, signed_in

ALL_NO = dict.fromkeys(HISTORY_FACTS, False) | {"has_escort_home": True}
RECONCILED = {"are_medications_reconciled": True, "medication_classes": [], "systolic_mmhg": 124, "diastolic_mmhg": 78}
FAILED_SSRI = {
    "drug": "Sertraline",
    "daily_dose_mg": Decimal(150),
    "weeks_at_dose": Decimal(8),
    "is_dose_adequate": True,
    "is_adherent": True,
    "is_current_episode": True,
    "outcome": "non_response",
}


@pytest.fixture
def prescriber(center):  # type: ignore[no-untyped-def]
    return StaffFactory(center=center, role=Role.PRESCRIBER, with_password=True)


@pytest.fixture
def consultation(prescriber, patient):  # type: ignore[no-untyped-def]
    substance_screens_record(actor=acting(prescriber), patient=patient)
    return consultation_start(actor=acting(prescriber), patient=patient)


def sign(prescriber, consultation, **kwargs):  # type: ignore[no-untyped-def]
    values = {
        "route": "iv",
        "decision": "eligible",
        "reason": "TRD, no contraindication.",
        "justifications": {},
        "password": PASSWORD,
    } | kwargs
    return eligibility_decision_sign(actor=acting(prescriber), consultation=consultation, **values)


@pytest.mark.django_db
def test_only_prescribers_start_a_consultation(center, patient):
    with pytest.raises(Forbidden):
        consultation_start(actor=acting(StaffFactory(center=center, role=Role.NURSE)), patient=patient)
    assert not Consultation.objects.exists()


@pytest.mark.django_db
def test_consultation_update_checks_codes_and_keeps_history(prescriber, consultation):
    with pytest.raises(RuleViolation) as raised:
        consultation_update(
            actor=acting(prescriber), consultation=consultation, fields={"diagnosis_codes": ["depression"]}
        )
    assert raised.value.code == "bad_icd10"
    consultation_update(
        actor=acting(prescriber),
        consultation=consultation,
        fields={"diagnosis_codes": ["f33.2"], "history": {"has_sleep_apnea": True}},
    )
    consultation.refresh_from_db()
    assert consultation.diagnosis_codes == ["F33.2"]
    entry = AuditEntry.objects.get(action="consultation.updated")
    assert entry.changes["diagnosis_codes"] == [[], ["F33.2"]]


@pytest.mark.django_db
def test_unanswered_history_is_not_assessed_never_no(prescriber, consultation):
    iv = next(e for e in evaluations(consultation) if e.route.value == "iv")
    assert not iv.findings
    assert iv.not_assessed  # nothing asked yet: the rules say so rather than passing


@pytest.mark.django_db
def test_esketamine_aneurysm_is_absolute_and_blocks_eligible(prescriber, consultation):
    consultation_update(
        actor=acting(prescriber),
        consultation=consultation,
        fields={"history": ALL_NO | {"has_aneurysmal_vascular_disease": True}, **RECONCILED},
    )
    with pytest.raises(RuleViolation) as raised:
        sign(prescriber, consultation, route="esketamine_nasal_spray")
    assert raised.value.code == "absolute_contraindication"
    assert not EligibilityDecision.objects.exists()
    not_eligible = sign(
        prescriber,
        consultation,
        route="esketamine_nasal_spray",
        decision="not_eligible",
        reason="Aneurysm: label contraindication.",
    )
    assert not_eligible.findings["findings"][0]["rule_id"] == "ESK-CI-ANEURYSM"


@pytest.mark.django_db
def test_a_relative_finding_needs_a_written_justification(prescriber, consultation):
    consultation_update(
        actor=acting(prescriber),
        consultation=consultation,
        fields={
            "history": ALL_NO | {"has_bipolar_disorder_or_mania_history": False, "has_psychotic_disorder": True},
            **RECONCILED,
        },
    )
    with pytest.raises(RuleViolation) as raised:
        sign(prescriber, consultation)
    assert raised.value.code == "justification_required" and "ALL-REL-PSYCHOSIS" in raised.value.message
    decision = sign(
        prescriber, consultation, justifications={"ALL-REL-PSYCHOSIS": "Remote single episode, stable 10 y."}
    )
    assert decision.justifications == {"ALL-REL-PSYCHOSIS": "Remote single episode, stable 10 y."}
    assert len(decision.content_sha256) == 64
    consultation.refresh_from_db()
    assert consultation.status == "signed"


@pytest.mark.django_db
def test_signing_needs_the_prescribers_password(prescriber, consultation):
    consultation_update(actor=acting(prescriber), consultation=consultation, fields={"history": ALL_NO, **RECONCILED})
    with pytest.raises(Forbidden) as raised:
        sign(prescriber, consultation, password="not it")
    assert raised.value.code == "signature_failed"
    assert not EligibilityDecision.objects.exists()


@pytest.mark.django_db
def test_no_one_but_a_prescriber_records_a_decision(center, consultation, prescriber):
    nurse = StaffFactory(center=center, role=Role.NURSE, with_password=True)
    with pytest.raises(Forbidden):
        eligibility_decision_sign(
            actor=acting(nurse),
            consultation=consultation,
            route="iv",
            decision="eligible",
            reason="x",
            justifications={},
            password=PASSWORD,
        )
    assert not EligibilityDecision.objects.exists()


@pytest.mark.django_db
def test_changes_after_signing_are_amendments(prescriber, consultation):
    consultation_update(actor=acting(prescriber), consultation=consultation, fields={"history": ALL_NO, **RECONCILED})
    sign(prescriber, consultation)
    consultation_update(actor=acting(prescriber), consultation=consultation, fields={"systolic_mmhg": 150})
    assert AuditEntry.objects.filter(action="consultation.amended").exists()


@pytest.mark.django_db
def test_two_failed_adequate_trials_with_mdd_meet_the_trd_definition(prescriber, consultation):
    consultation_update(actor=acting(prescriber), consultation=consultation, fields={"diagnosis_codes": ["F33.2"]})
    prior_trial_add(actor=acting(prescriber), consultation=consultation, fields=FAILED_SSRI)
    prior_trial_add(
        actor=acting(prescriber),
        consultation=consultation,
        fields=FAILED_SSRI | {"drug": "Venlafaxine", "daily_dose_mg": Decimal(225)},
    )
    consultation.refresh_from_db()
    resistance = treatment_resistance(consultation, list(PriorTrial.objects.all()))
    assert resistance.failed_trial_count == 2
    assert resistance.meets_definition is True
    assert resistance.steps


@pytest.mark.django_db
@pytest.mark.parametrize("count", [1, 15])
def test_consultation_page_query_count_is_flat(django_assert_num_queries, prescriber, consultation, count):
    for n in range(count):
        prior_trial_add(actor=acting(prescriber), consultation=consultation, fields=FAILED_SSRI | {"drug": f"Drug {n}"})
    client = signed_in(prescriber)
    url = reverse(
        "consultations:record",
        kwargs={"patient_id": consultation.patient.external_id, "consultation_id": consultation.external_id},
    )
    client.get(url)
    with django_assert_num_queries(13):
        assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_the_page_walks_save_trial_and_signed_decision(center, prescriber, patient):
    substance_screens_record(actor=acting(prescriber), patient=patient)
    client = signed_in(prescriber)
    start = reverse("consultations:start", kwargs={"patient_id": patient.external_id})
    record = client.post(start)["Location"]
    history = {f"h_{fact}": "no" for fact in HISTORY_FACTS} | {"h_has_escort_home": "yes"}
    saved = client.post(
        record,
        history
        | {
            "diagnosis_codes_text": "F33.2",
            "are_medications_reconciled": "on",
            "systolic_mmhg": "122",
            "diastolic_mmhg": "80",
            "weight_kg": "70",
            "height_cm": "170",
        },
    )
    assert saved.status_code == 302
    page = client.get(record).content.decode()
    assert "24.2" in page  # BMI 70 / 1.7^2
    consultation = Consultation.objects.get()
    decide = reverse(
        "consultations:decide", kwargs={"patient_id": patient.external_id, "consultation_id": consultation.external_id}
    )
    wrong = client.post(decide, {"route": "iv", "decision": "eligible", "reason": "ok", "password": "nope"})
    assert wrong.status_code == 403
    client.post(decide, {"route": "iv", "decision": "eligible", "reason": "TRD; no findings.", "password": PASSWORD})
    assert EligibilityDecision.objects.get().signed_by == prescriber
    assert "Eligible" in client.get(record).content.decode()


def test_every_history_question_is_a_fact_the_rules_read():
    from dataclasses import fields

    from ketaclinic.core.eligibility import ConsultationFacts

    assert set(HISTORY_FACTS) <= {f.name for f in fields(ConsultationFacts)}


@pytest.mark.django_db
def test_maudsley_staging_is_shown_with_its_arithmetic_once_its_inputs_are_recorded(prescriber, consultation):
    consultation_update(
        actor=acting(prescriber),
        consultation=consultation,
        fields={
            "diagnosis_codes": ["F33.2"],
            "episode_duration_months": 18,
            "episode_severity": "moderate",
            "has_had_ect": False,
        },
    )
    prior_trial_add(actor=acting(prescriber), consultation=consultation, fields=FAILED_SSRI)
    prior_trial_add(
        actor=acting(prescriber),
        consultation=consultation,
        fields=FAILED_SSRI | {"drug": "Venlafaxine", "daily_dose_mg": Decimal(225)},
    )
    consultation.refresh_from_db()
    resistance = treatment_resistance(consultation, list(PriorTrial.objects.all()))
    assert resistance.staging is not None
    assert resistance.staging.total == (
        resistance.staging.duration_points
        + resistance.staging.severity_points
        + resistance.staging.failure_points
        + resistance.staging.augmentation_points
        + resistance.staging.ect_points
    )
    assert resistance.staging.steps


@pytest.mark.django_db
def test_five_wrong_signature_passwords_lock_signing_for_a_while(prescriber, consultation):
    import datetime as dt

    import time_machine
    from django.utils import timezone

    consultation_update(actor=acting(prescriber), consultation=consultation, fields={"history": ALL_NO, **RECONCILED})
    for _attempt in range(5):
        with pytest.raises(Forbidden):
            sign(prescriber, consultation, password="guess")
    with pytest.raises(Forbidden) as locked:
        sign(prescriber, consultation)
    assert locked.value.code == "signing_locked"
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=16)):
        assert sign(prescriber, consultation).decision == "eligible"
