"""The pre-dose checklist asks the record the questions that stop a dose (issue #10, items 2, 3, 8)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from ketaclinic.audit.models import AuditEntry
from ketaclinic.core.errors import Forbidden, RuleViolation
from ketaclinic.core.permissions import Role
from ketaclinic.measures.models import QuestionnaireResponse
from ketaclinic.measures.services.responses import questionnaire_response_save
from ketaclinic.patients.models import PatientAlert, SexAtBirth
from ketaclinic.patients.services.alerts import patient_alert_acknowledge
from ketaclinic.patients.services.pregnancy_tests import pregnancy_test_mark_entered_in_error, pregnancy_test_record
from ketaclinic.sessions.models import DoseAdministration
from ketaclinic.sessions.selectors.flowsheet import post_dose_blood_pressure
from ketaclinic.sessions.services.checklist import (
    NURSE_ITEMS,
    RECORD_ITEMS,
    pre_session_override,
    session_start_check,
    suicide_risk_review_document,
)
from ketaclinic.sessions.services.flowsheet import vital_sign_record
from tests.factories import (
    PatientFactory,
    StaffFactory,
    StandInPlanFactory,
    TreatmentSessionFactory,
    consent_on_file,
    protocol_settings_of,
)
from tests.sessions.steps import ALL_CONFIRMED, checklist_run, ready
from tests.steps import acting, signed_in

# A weekday morning in Buena Park (15:12 UTC is 08:12 Pacific daylight time).
MORNING = dt.datetime(2026, 6, 9, 15, 12, tzinfo=dt.UTC)
# The band as the nurse reads it: the scale's label, not its key.
HIGH = "C-SSRS Screener High risk (intent or plan, or suicidal behaviour within 3 months)"
CALM = {"systolic_mmhg": 126, "diastolic_mmhg": 80, "heart_rate_bpm": 72, "spo2_percent": 98}
PHQ9_CALM = dict.fromkeys(range(1, 10), 1) | {9: 0}


@pytest.fixture
def clock():  # type: ignore[no-untyped-def]
    with time_machine.travel(MORNING, tick=False) as traveller:
        yield traveller


def esketamine_session(center, *, sex: str = SexAtBirth.FEMALE, settings: dict | None = None):  # type: ignore[no-untyped-def,type-arg]
    prescriber = StaffFactory(center=center, role=Role.PRESCRIBER)
    patient = PatientFactory(center=center, sex_at_birth=sex)
    plan = StandInPlanFactory(
        patient=patient,
        signer=prescriber,
        route="esketamine_nasal_spray",
        protocol_key="esketamine_trd_us",
        fixed_dose_mg=Decimal("56"),
        min_observation_minutes=120,
        **({"protocol_settings": settings} if settings is not None else {}),
    )
    session = TreatmentSessionFactory(plan=plan, nurse=prescriber)
    consent_on_file(patient=patient, route="esketamine_nasal_spray", witness=prescriber)
    questionnaire_response_save(
        actor=acting(prescriber),
        patient=patient,
        instrument_code="phq9",
        answers=PHQ9_CALM,
        source="staff",
        complete=True,
    )
    return session


def negative_test(session, at=None):  # type: ignore[no-untyped-def]
    return pregnancy_test_record(
        actor=acting(session.nurse),
        patient=session.patient,
        kind="urine_hcg",
        result="negative",
        tested_at=at or timezone.now() - dt.timedelta(minutes=20),
    )


def checklist_after_reading(session, values):  # type: ignore[no-untyped-def]
    """A pre-dose reading of ``values``, then the checklist run on it."""
    vital_sign_record(actor=acting(session.nurse), session=session, values=values)
    return checklist_run(session)


def usual_bp_override(session, check) -> None:  # type: ignore[no-untyped-def]
    """The prescriber in charge overrides a high pre-dose BP as the patient's usual one."""
    pre_session_override(
        actor=acting(session.nurse),
        check=check,
        item="predose_vitals",
        reason="Usual BP for her; benefit outweighs the rise.",
    )


def tested_esketamine_session(center):  # type: ignore[no-untyped-def]
    """An esketamine session whose patient had a negative urine test 20 minutes ago."""
    eske = esketamine_session(center)
    negative_test(eske)
    return eske


def bp(systolic: int, diastolic: int) -> dict[str, int]:
    return {"systolic_mmhg": systolic, "diastolic_mmhg": diastolic}


# --- item 3: pre-dose blood pressure -----------------------------------------------------------


@pytest.mark.django_db
def test_predose_vitals_fail_above_the_esketamine_label_limit_with_the_reason(center, clock):
    """175/108 is under the chair-side alert limits (180/110) but over the label's 140/90."""
    eske = tested_esketamine_session(center)
    check = checklist_after_reading(eske, bp(175, 108))
    assert check.open_items == ["predose_vitals"]
    assert (
        "BP 175/108 is above the protocol's pre-dose limit 140/90 (Spravato label)"
        in (check.items["predose_vitals"]["how"])
    )
    with pytest.raises(RuleViolation, match="BP 175/108 is above"):
        session_start_check(session=eske)


@pytest.mark.django_db
def test_a_recheck_within_the_limit_passes_and_a_prescriber_may_override_with_a_reason(center, clock):
    eske = tested_esketamine_session(center)
    check = checklist_after_reading(eske, bp(150, 92))
    usual_bp_override(eske, check)
    assert session_start_check(session=eske) == check
    clock.shift(dt.timedelta(minutes=5))
    recheck = checklist_after_reading(eske, bp(136, 86))
    assert recheck.passed, recheck.items


@pytest.mark.django_db
def test_a_high_reading_after_a_passed_checklist_stops_the_start(center, clock):
    """The pre-dose BP is read again at the start, not only when the checklist was run."""
    eske = tested_esketamine_session(center)
    check = checklist_after_reading(eske, bp(128, 80))
    assert check.passed, check.items
    clock.shift(dt.timedelta(minutes=3))
    vital_sign_record(actor=acting(eske.nurse), session=eske, values=bp(168, 96))
    with pytest.raises(RuleViolation, match=re.escape("BP 168/96 is above the protocol's pre-dose limit 140/90")):
        session_start_check(session=eske)


@pytest.mark.django_db
def test_an_override_covers_only_the_reading_it_was_given_for(center, clock):
    eske = tested_esketamine_session(center)
    check = checklist_after_reading(eske, bp(150, 92))
    usual_bp_override(eske, check)
    clock.shift(dt.timedelta(minutes=4))
    vital_sign_record(actor=acting(eske.nurse), session=eske, values=bp(172, 104))
    with pytest.raises(RuleViolation, match=re.escape("BP 172/104 is above")):
        session_start_check(session=eske)


@pytest.mark.django_db
def test_a_nurses_later_negative_does_not_clear_a_positive_test_but_a_prescribers_does(center, clock):
    eske = esketamine_session(center)
    nurse = StaffFactory(center=center, role=Role.NURSE)
    pregnancy_test_record(
        actor=acting(nurse),
        patient=eske.patient,
        kind="serum_hcg",
        result="positive",
        tested_at=timezone.now() - dt.timedelta(hours=1),
    )
    pregnancy_test_record(
        actor=acting(nurse),
        patient=eske.patient,
        kind="urine_hcg",
        result="negative",
        tested_at=timezone.now() - dt.timedelta(minutes=55),
    )
    check = checklist_after_reading(eske, CALM)
    assert check.open_items == ["pregnancy_test"]
    assert "no dose until a prescriber records a later negative test" in check.items["pregnancy_test"]["how"]
    negative_test(eske, at=timezone.now() - dt.timedelta(minutes=10))  # eske.nurse is a prescriber
    assert checklist_run(eske).passed


@pytest.mark.django_db
def test_a_nurses_acknowledgement_does_not_clear_a_high_cssrs_for_the_dose(center, clock):
    eske = tested_esketamine_session(center)
    nurse = StaffFactory(center=center, role=Role.NURSE, first_name="Ana", last_name="Ruiz")
    questionnaire_response_save(
        actor=acting(nurse),
        patient=eske.patient,
        instrument_code="cssrs_screener",
        answers={1: 0, 2: 0, 6: 1, 7: 1},  # worked example (b): high
        source="clinician",
        complete=True,
    )
    alert = PatientAlert.objects.get(patient=eske.patient, kind=PatientAlert.Kind.SUICIDE_RISK)
    patient_alert_acknowledge(actor=acting(nurse), alert=alert, action_taken="ok")
    check = checklist_after_reading(eske, CALM)
    assert check.open_items == ["suicide_risk"]
    assert "a prescriber's review is needed before dosing" in check.items["suicide_risk"]["how"]
    suicide_risk_review_document(
        actor=acting(eske.nurse), session=eske, action_taken="Saw her with her partner: no intent, safety plan updated."
    )
    assert checklist_run(eske).passed
    assert PatientAlert.objects.get(pk=alert.pk).acknowledged_by == nurse  # the nurse's entry stays


@pytest.mark.django_db
def test_an_override_given_with_no_reading_does_not_carry_to_the_start(center, clock):
    eske = tested_esketamine_session(center)
    check = checklist_run(eske)
    assert check.open_items == ["predose_vitals"]
    pre_session_override(
        actor=acting(eske.nurse), check=check, item="predose_vitals", reason="Monitor cuff is broken today."
    )
    with pytest.raises(RuleViolation, match="none in the last 30 minutes"):
        session_start_check(session=eske)


@pytest.mark.django_db
def test_pre_dose_vitals_older_than_the_window_at_the_start_stop_it(center, clock):
    eske = tested_esketamine_session(center)
    vital_sign_record(actor=acting(eske.nurse), session=eske, values=bp(128, 80))
    assert checklist_run(eske).passed
    clock.shift(dt.timedelta(minutes=45))
    with pytest.raises(RuleViolation, match="none in the last 30 minutes"):
        session_start_check(session=eske)


@pytest.mark.django_db
def test_a_plan_signed_before_the_pre_dose_limits_existed_uses_the_librarys_limits(center, clock):
    old = {
        name: value
        for name, value in protocol_settings_of("esketamine_trd_us").items()
        if not name.startswith("predose_")
    }
    eske = esketamine_session(center, settings=old)
    negative_test(eske)
    check = checklist_after_reading(eske, bp(145, 88))
    assert "above the protocol's pre-dose limit 140/90 (Spravato label)" in check.items["predose_vitals"]["how"]


@pytest.mark.django_db
def test_iv_ketamine_uses_the_clinic_configurable_all_rel_htn_default(clock, center, session):
    ready(center, session)
    clock.shift(dt.timedelta(minutes=2))
    check = checklist_after_reading(session, bp(150, 95))
    assert check.open_items == ["predose_vitals"]
    assert (
        "pre-dose limit 140/90 (ALL-REL-HTN project default, clinic-configurable)"
        in (check.items["predose_vitals"]["how"])
    )
    assert "pregnancy_test" not in check.items  # the IV protocol asks for no test by default


# --- item 2: suicide risk ------------------------------------------------------------------------


def cssrs_high(session):  # type: ignore[no-untyped-def]
    """C-SSRS worked example (b): Q6 yes within the past 3 months is high."""
    return questionnaire_response_save(
        actor=acting(session.nurse),
        patient=session.patient,
        instrument_code="cssrs_screener",
        answers={1: 0, 2: 0, 6: 1, 7: 1},
        source="clinician",
        complete=True,
    )


@pytest.mark.django_db
def test_a_high_cssrs_today_fails_the_checklist_until_its_alert_is_acknowledged(clock, center, session):
    ready(center, session)
    response = cssrs_high(session)
    assert response.severity == "high"
    check = checklist_run(session)
    assert check.open_items == ["suicide_risk"]
    assert f"{HIGH} today at 08:12; alert not acknowledged" in check.items["suicide_risk"]["how"]
    with pytest.raises(RuleViolation, match=re.escape(f"{HIGH} today at 08:12; alert not acknowledged")):
        session_start_check(session=session)
    prescriber = StaffFactory(center=center, role=Role.PRESCRIBER)
    with pytest.raises(RuleViolation) as raised:
        pre_session_override(
            actor=acting(prescriber), check=check, item="suicide_risk", reason="Seen her, she is fine today."
        )
    assert raised.value.code == "not_overridable"
    alert = PatientAlert.objects.get(patient=session.patient, source_id=str(response.external_id))
    patient_alert_acknowledge(
        actor=acting(prescriber), alert=alert, action_taken="Assessed in person; safety plan updated."
    )
    clock.shift(dt.timedelta(minutes=1))
    again = checklist_run(session)
    assert again.passed, again.items
    assert session_start_check(session=session) == again


@pytest.mark.django_db
def test_a_risk_alert_raised_after_the_checklist_still_stops_the_start(clock, center, session):
    ready(center, session)
    check = checklist_run(session)
    assert check.passed, check.items
    clock.shift(dt.timedelta(minutes=10))
    questionnaire_response_save(
        actor=acting(session.nurse),
        patient=session.patient,
        instrument_code="phq9",
        answers=PHQ9_CALM | {9: 2},
        source="staff",
        complete=True,
    )
    with pytest.raises(RuleViolation) as raised:
        session_start_check(session=session)
    assert raised.value.code == "checklist_open"
    assert "PHQ-9 item 9 positive today at 08:22; alert not acknowledged" in str(raised.value.message)


@pytest.mark.django_db
def test_an_open_risk_alert_from_another_day_also_fails_the_item(clock, center, session):
    ready(center, session)
    PatientAlert.objects.create(
        patient=session.patient,
        kind=PatientAlert.Kind.SUICIDE_RISK,
        message="PHQ-9: suicide-risk answer needs same-day review",
        reason="item 9 answered 'several days'",
        raised_at=MORNING - dt.timedelta(days=3),
    )
    check = checklist_run(session)
    assert check.open_items == ["suicide_risk"]
    assert "alert not acknowledged" in check.items["suicide_risk"]["how"]


@pytest.mark.django_db
def test_a_finding_without_an_alert_passes_once_a_prescriber_documents_the_review(clock, center, session):
    ready(center, session)
    # A result stored with its verdict but no alert (imported, or raised before alerts existed).
    response = QuestionnaireResponse.objects.create(
        patient=session.patient,
        instrument_code="cssrs_screener",
        instrument_version="1",
        source="clinician",
        status="completed",
        started_at=MORNING - dt.timedelta(minutes=5),
        completed_at=MORNING - dt.timedelta(minutes=3),
        severity="moderate",
        flags=["cssrs_risk_moderate"],
    )
    check = checklist_run(session)
    assert "C-SSRS Screener moderate today at 08:09; no review documented" in check.items["suicide_risk"]["how"]
    with pytest.raises(Forbidden):
        suicide_risk_review_document(
            actor=acting(StaffFactory(center=center, role=Role.NURSE)),
            session=session,
            action_taken="Reviewed with the patient in person.",
        )
    prescriber = StaffFactory(center=center, role=Role.PRESCRIBER)
    with pytest.raises(RuleViolation):
        suicide_risk_review_document(actor=acting(prescriber), session=session, action_taken="ok")
    (alert,) = suicide_risk_review_document(
        actor=acting(prescriber),
        session=session,
        action_taken="Reviewed in person: passive thoughts, safety plan in place.",
    )
    assert (alert.source_id, alert.acknowledged_by) == (str(response.external_id), prescriber)
    assert session_start_check(session=session) == check  # the review counts at the start
    assert checklist_run(session).passed


# --- item 8: pregnancy test ------------------------------------------------------------------------


@pytest.mark.django_db
def test_esketamine_needs_a_recent_pregnancy_test_which_a_prescriber_may_override(center, clock):
    eske = esketamine_session(center)
    check = checklist_after_reading(eske, CALM)
    assert check.open_items == ["pregnancy_test"]
    assert "the protocol asks for a test in the last 72 hours; none on file" in check.items["pregnancy_test"]["how"]
    pre_session_override(
        actor=acting(eske.nurse), check=check, item="pregnancy_test", reason="Post-menopausal for 10 years."
    )
    assert session_start_check(session=eske) == check


@pytest.mark.django_db
def test_an_old_test_does_not_count_and_a_recent_negative_one_passes(center, clock):
    eske = esketamine_session(center)
    vital_sign_record(actor=acting(eske.nurse), session=eske, values=CALM)
    negative_test(eske, at=MORNING - dt.timedelta(hours=80))
    check = checklist_run(eske)
    assert check.open_items == ["pregnancy_test"]
    assert "last negative" in check.items["pregnancy_test"]["how"]
    negative_test(eske)
    clock.shift(dt.timedelta(minutes=1))
    check = checklist_run(eske)
    assert check.passed, check.items
    assert "Urine hCG negative" in check.items["pregnancy_test"]["how"]


@pytest.mark.django_db
def test_a_positive_test_fails_and_no_prescriber_can_override_it(center, clock):
    eske = esketamine_session(center)
    vital_sign_record(actor=acting(eske.nurse), session=eske, values=CALM)
    pregnancy_test_record(
        actor=acting(eske.nurse), patient=eske.patient, kind="serum_hcg", result="positive", tested_at=MORNING
    )
    check = checklist_run(eske)
    assert check.open_items == ["pregnancy_test"]
    assert "a prescriber cannot override a positive test" in check.items["pregnancy_test"]["how"]
    prescriber = StaffFactory(center=center, role=Role.PRESCRIBER)
    with pytest.raises(RuleViolation) as raised:
        pre_session_override(
            actor=acting(prescriber), check=check, item="pregnancy_test", reason="Patient insists on going."
        )
    assert raised.value.code == "not_overridable"


@pytest.mark.django_db
def test_a_positive_test_recorded_after_the_checklist_stops_the_start(center, clock):
    eske = esketamine_session(center)
    vital_sign_record(actor=acting(eske.nurse), session=eske, values=CALM)
    first = negative_test(eske)
    check = checklist_run(eske)
    assert check.passed, check.items
    pregnancy_test_mark_entered_in_error(
        actor=acting(eske.nurse), test=first, reason="Result belonged to another patient."
    )
    pregnancy_test_record(
        actor=acting(eske.nurse), patient=eske.patient, kind="urine_hcg", result="positive", tested_at=MORNING
    )
    with pytest.raises(RuleViolation, match="positive"):
        session_start_check(session=eske)


@pytest.mark.django_db
def test_no_pregnancy_test_is_asked_of_a_patient_recorded_male(center, clock):
    eske = esketamine_session(center, sex=SexAtBirth.MALE)
    check = checklist_after_reading(eske, CALM)
    assert check.passed, check.items
    assert "pregnancy_test" not in check.items


@pytest.mark.django_db
def test_an_unknown_sex_at_birth_counts_as_could_be_pregnant(center, clock):
    eske = esketamine_session(center, sex=SexAtBirth.UNKNOWN)
    check = checklist_after_reading(eske, CALM)
    assert check.open_items == ["pregnancy_test"]


# --- item 3: the 40-minute post-dose blood pressure ----------------------------------------------


@pytest.mark.django_db
def test_the_40_minute_bp_is_due_then_answered_by_a_reading_near_it(center, clock):
    eske = esketamine_session(center)
    # The dose as the flowsheet reads it: started (first device) at 08:12 local.
    dose = DoseAdministration(session=eske, started_at=MORNING)
    due = post_dose_blood_pressure(session=eske, dose=dose, readings=[], now=MORNING + dt.timedelta(minutes=30))
    assert due is not None and due.minutes == 40 and not due.is_missed and due.reading is None
    assert timezone.localtime(due.due_at, eske.patient.center.zone).strftime("%H:%M") == "08:52"
    clock.shift(dt.timedelta(minutes=42))
    sign = vital_sign_record(actor=acting(eske.nurse), session=eske, values=bp(150, 92))
    done = post_dose_blood_pressure(session=eske, dose=dose, readings=[sign], now=timezone.now())
    assert done is not None and done.reading == sign and not done.is_missed


@pytest.mark.django_db
def test_the_40_minute_bp_is_flagged_missed_after_its_window(center, clock):
    eske = esketamine_session(center)
    dose = DoseAdministration(session=eske, started_at=MORNING)
    early = vital_sign_record(actor=acting(eske.nurse), session=eske, values=bp(130, 80))
    missed = post_dose_blood_pressure(session=eske, dose=dose, readings=[early], now=MORNING + dt.timedelta(minutes=51))
    assert missed is not None and missed.is_missed and missed.reading is None


@pytest.mark.django_db
def test_the_flowsheet_prompts_the_40_minute_bp_for_esketamine_only(center, session, clock):
    eske = esketamine_session(center)
    page = signed_in(eske.nurse).get(reverse("sessions:flowsheet", kwargs={"session_id": eske.external_id}))
    assert page.status_code == 200 and "BP due at" not in page.content.decode()  # no dose yet
    assert (
        post_dose_blood_pressure(
            session=session, dose=DoseAdministration(session=session, started_at=MORNING), readings=[], now=MORNING
        )
        is None
    )  # the IV protocol reads vitals every 10 minutes instead


# --- the pages -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_nurse_records_a_pregnancy_test_on_its_page_and_the_checklist_shows_it(center, clock):
    eske = esketamine_session(center)
    client = signed_in(eske.nurse)
    url = reverse("patients:pregnancy_tests", kwargs={"patient_id": eske.patient.external_id})
    response = client.post(url, {"kind": "urine_hcg", "result": "negative", "tested_at": "2026-06-09T07:50"})
    assert response.status_code == 302
    (test,) = eske.patient.pregnancy_tests.all()
    assert (test.result, test.recorded_by, timezone.localtime(test.tested_at).strftime("%H:%M")) == (
        "negative",
        eske.nurse,
        "07:50",
    )
    assert AuditEntry.objects.filter(action="pregnancy_test.recorded").exists()
    assert "Urine hCG" in client.get(url).content.decode()
    front_desk = signed_in(StaffFactory(center=center, role=Role.FRONT_DESK))
    assert front_desk.get(url).status_code == 403


@pytest.mark.django_db
def test_the_flowsheet_shows_every_reason_and_a_prescriber_documents_the_review_there(
    clock,
    center,
    session,
):
    ready(center, session)
    clock.shift(dt.timedelta(minutes=1))
    vital_sign_record(actor=acting(session.nurse), session=session, values=bp(175, 108))
    cssrs_high(session)
    checklist_run(session)
    flowsheet = reverse("sessions:flowsheet", kwargs={"session_id": session.external_id})
    page = signed_in(session.nurse).get(flowsheet).content.decode().replace("&#x27;", "'")
    assert "BP 175/108 is above the protocol's pre-dose limit 140/90" in page
    assert f"{HIGH} today at 08:13; alert not acknowledged" in page
    prescriber = signed_in(session.nurse)  # the session fixture's nurse is a prescriber
    review = reverse("sessions:suicide_risk_review", kwargs={"session_id": session.external_id})
    assert prescriber.post(review, {"action_taken": "Seen in person; no intent; safety plan."}).status_code == 302
    assert PatientAlert.objects.get(patient=session.patient).acknowledged_at is not None


# --- the checklist reads the plan the dose will use, and holds for an hour ---------------------


@pytest.mark.django_db
def test_the_checklist_shows_an_ended_course_and_no_override_passes_it(center, clock):
    eske = esketamine_session(center)
    StandInPlanFactory(
        patient=eske.patient,
        signer=eske.nurse,
        version=2,
        supersedes=eske.plan,
        route="esketamine_nasal_spray",
        protocol_key="esketamine_trd_us",
        fixed_dose_mg=Decimal("56"),
        phase="ended",
        ended_reason="Remission; care back to the PCP.",
    )
    negative_test(eske)
    check = checklist_after_reading(eske, CALM)
    assert check.open_items == ["plan"]
    assert "which ended the course: this session cannot start" in check.items["plan"]["how"]
    with pytest.raises(RuleViolation) as raised:
        pre_session_override(
            actor=acting(eske.nurse), check=check, item="plan", reason="The patient asked for one more."
        )
    assert raised.value.code == "not_overridable"


@pytest.mark.django_db
def test_the_flowsheet_says_which_open_items_no_override_passes(center, clock):
    eske = esketamine_session(center)
    vital_sign_record(actor=acting(eske.nurse), session=eske, values=bp(175, 108))
    cssrs_high(eske)
    response = signed_in(eske.nurse).post(
        reverse("sessions:checklist", kwargs={"session_id": eske.external_id}),
        {item: "on" for item in ALL_CONFIRMED},
        follow=True,
    )
    page = response.content.decode()
    assert "A prescriber may override one with a reason." in page
    assert "No override passes: Today&#x27;s suicide-risk findings and open risk alerts reviewed by a clinician" in page


@pytest.mark.django_db
def test_a_checklist_older_than_an_hour_must_be_run_again(center, clock):
    eske = tested_esketamine_session(center)
    vital_sign_record(actor=acting(eske.nurse), session=eske, values=CALM)
    assert checklist_run(eske).passed
    clock.shift(dt.timedelta(minutes=61))
    vital_sign_record(actor=acting(eske.nurse), session=eske, values=CALM)
    with pytest.raises(RuleViolation) as raised:
        session_start_check(session=eske)
    assert raised.value.code == "checklist_stale"
    assert checklist_run(eske).passed
    session_start_check(session=eske)


@pytest.mark.django_db
def test_the_flowsheet_lists_the_checklist_in_its_own_order(center, clock):
    """PostgreSQL's jsonb reorders keys; the nurse reads the items in the checklist's order."""
    eske = tested_esketamine_session(center)
    vital_sign_record(actor=acting(eske.nurse), session=eske, values=CALM)
    checklist_run(eske)
    page = signed_in(eske.nurse).get(reverse("sessions:flowsheet", kwargs={"session_id": eske.external_id}))
    text = page.content.decode()
    labels = [escape(str(label)) for label in (NURSE_ITEMS | RECORD_ITEMS).values() if escape(str(label)) in text]
    assert [text.index(label) for label in labels] == sorted(text.index(label) for label in labels)
    assert len(labels) == len(NURSE_ITEMS) + len(RECORD_ITEMS)
