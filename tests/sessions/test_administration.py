"""The dose at the chair: computed from the plan, verified by a second clinician, given, accounted for."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from ketaclinic.audit.models import AuditEntry
from ketaclinic.core.errors import Conflict, Forbidden, RuleViolation
from ketaclinic.core.permissions import Role
from ketaclinic.patients.services.pregnancy_tests import pregnancy_test_record
from ketaclinic.sessions.models import DoseAdministration, PreSessionCheck, SessionEvent, TreatmentSession
from ketaclinic.sessions.services.booking import treatment_session_close
from ketaclinic.sessions.services.checklist import pre_session_check_record, pre_session_override
from ketaclinic.sessions.services.dose import (
    device_given,
    dose_prepare,
    dose_start,
    dose_step,
    dose_verify,
    dose_withdraw,
    intervention_record,
    waste_record,
)
from ketaclinic.sessions.services.flowsheet import vital_sign_record
from ketaclinic.sessions.services.rems import rems_enrollment_record
from tests.factories import (
    PASSWORD,
    PatientFactory,
    StaffFactory,
    StandInPlanFactory,
    TreatmentSessionFactory,
    consent_on_file,
)
from tests.sessions.steps import ALL_CONFIRMED, lot_for, prepare_post, prepared, ready, running
from tests.steps import acting, signed_in


@pytest.mark.django_db
def test_the_iv_dose_comes_from_the_plan_and_todays_weight_with_its_arithmetic(session):
    dose = prepared(session)
    # 0.5 mg/kg x 80 kg = 40 mg; 40 mg / 10 mg/mL = 4 mL; 4 mL over 40 min = 6 mL/h
    assert (dose.dose_mg, dose.volume_ml, dose.rate_ml_per_hour, dose.capped) == (
        Decimal("40.0"),
        Decimal("4.00"),
        Decimal("6.00"),
        False,
    )
    assert dose.steps[0].startswith("0.5 mg/kg x 80 kg = 40 mg") and "mL/h" in dose.steps[-1]
    assert (dose.status, dose.drug, dose.weight_basis) == ("prepared", "ketamine", "actual")
    assert AuditEntry.objects.filter(action="dose.prepared", patient=session.patient).exists()


@pytest.mark.django_db
def test_the_protocol_cap_holds_whatever_the_weight(session):
    dose = prepared(session, weight_kg=Decimal("250"), drawn_mg=Decimal("100"))
    assert (dose.calculated_mg, dose.dose_mg, dose.cap_mg, dose.capped) == (
        Decimal("125.00"),
        Decimal("100.0"),
        Decimal("100.0"),
        True,
    )


@pytest.mark.django_db
def test_the_database_refuses_a_dose_above_the_cap_even_around_the_service(session):
    dose = prepared(session)
    dose.dose_mg = dose.cap_mg + 1
    with pytest.raises(IntegrityError), transaction.atomic():
        dose.save()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"weight_kg": Decimal("7")}, "weight_kg"),  # 7 typed for 70
        ({"weight_kg": None}, "required"),
        ({"lot_expires_on": dt.date(2020, 1, 1)}, "lot_expired"),
        ({"drawn_mg": Decimal("30")}, "drawn_below_dose"),
        ({"lot_number": "  "}, "required"),
    ],
)
def test_impossible_inputs_are_refused_and_nothing_is_kept(session, changes, code):
    with pytest.raises(RuleViolation) as raised:
        prepared(session, **changes)
    assert code in (raised.value.code, raised.value.field)
    assert not DoseAdministration.objects.exists()


@pytest.mark.django_db
def test_one_dose_per_session(session):
    prepared(session)
    with pytest.raises(Conflict):
        prepared(session)


@pytest.mark.django_db
def test_a_second_clinician_verifies_with_their_password(session, second_nurse):
    dose = prepared(session)
    with pytest.raises(RuleViolation) as raised:
        dose_verify(actor=acting(session.nurse), dose=dose, password=PASSWORD)
    assert raised.value.code == "same_clinician"
    with pytest.raises(Forbidden, match="password"):
        dose_verify(actor=acting(second_nurse), dose=dose, password="not it")
    dose.refresh_from_db()
    assert dose.status == "prepared" and dose.verified_by is None
    dose = dose_verify(actor=acting(second_nurse), dose=dose, password=PASSWORD)
    assert (dose.status, dose.verified_by) == ("verified", second_nurse)


@pytest.mark.django_db
def test_the_database_refuses_a_self_verified_dose(session):
    dose = prepared(session)
    dose.verified_by, dose.verified_at = session.nurse, timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        dose.save()


@pytest.mark.django_db
def test_front_desk_cannot_prepare_or_verify(center, session):
    desk = StaffFactory(center=center, role=Role.FRONT_DESK, with_password=True)
    with pytest.raises(Forbidden):
        dose_prepare(actor=acting(desk), session=session, weight_kg=80, drawn_mg=50, lot=lot_for(session))
    with pytest.raises(Forbidden):
        dose_verify(actor=acting(desk), dose=prepared(session), password=PASSWORD)


@pytest.mark.django_db
def test_the_dose_cannot_start_unverified_or_before_the_checklist_passes(center, session, second_nurse):
    dose = prepared(session)
    with pytest.raises(Conflict) as raised:
        dose_start(actor=acting(session.nurse), dose=dose)
    assert raised.value.code == "not_verified"
    dose = dose_verify(actor=acting(second_nurse), dose=dose, password=PASSWORD)
    with pytest.raises(RuleViolation) as raised:
        dose_start(actor=acting(session.nurse), dose=dose)
    assert raised.value.code == "checklist_missing"
    ready(center, session)
    pre_session_check_record(actor=acting(session.nurse), session=session, confirmed=ALL_CONFIRMED | {"escort": False})
    with pytest.raises(RuleViolation) as raised:
        dose_start(actor=acting(session.nurse), dose=dose)
    assert raised.value.code == "checklist_open" and "Escort" in str(raised.value)
    pre_session_check_record(actor=acting(session.nurse), session=session, confirmed=ALL_CONFIRMED)
    dose = dose_start(actor=acting(session.nurse), dose=dose)
    assert dose.status == "running" and dose.started_at is not None
    assert SessionEvent.objects.get(session=session).kind == "dose_started"


@pytest.mark.django_db
def test_pause_resume_and_complete_are_timed_events(center, session, second_nurse):
    dose = running(center, session, second_nurse)
    with pytest.raises(RuleViolation):
        dose_step(actor=acting(session.nurse), dose=dose, step="pause")  # no reason
    dose_step(actor=acting(session.nurse), dose=dose, step="pause", reason="BP 184/100, rechecking")
    with pytest.raises(Conflict):
        dose_step(actor=acting(session.nurse), dose=dose, step="complete")  # paused: resume first
    dose_step(actor=acting(session.nurse), dose=dose, step="resume")
    with pytest.raises(RuleViolation) as raised:
        dose_step(actor=acting(session.nurse), dose=dose, step="complete")  # 40 minutes have not run
    assert raised.value.code == "infusion_not_run" and "stop it" in str(raised.value)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=40)):
        dose = dose_step(actor=acting(session.nurse), dose=dose, step="complete")
    assert (dose.status, dose.given_mg) == ("completed", Decimal("40.0"))
    kinds = list(SessionEvent.objects.filter(session=session).values_list("kind", flat=True))
    assert kinds == ["dose_started", "paused", "resumed", "dose_completed"]


@pytest.mark.django_db
def test_time_paused_does_not_count_towards_the_infusion(center, session, second_nurse):
    dose = running(center, session, second_nurse, minutes_ago=45)
    with time_machine.travel(dose.started_at + dt.timedelta(minutes=20)):
        dose_step(actor=acting(session.nurse), dose=dose, step="pause", reason="SBP 186, rechecking")
    with time_machine.travel(dose.started_at + dt.timedelta(minutes=30)):
        dose_step(actor=acting(session.nurse), dose=dose, step="resume")
    with pytest.raises(RuleViolation) as raised:  # 45 minutes in, 10 of them paused: 35 run
        dose_step(actor=acting(session.nurse), dose=dose, step="complete")
    assert raised.value.code == "infusion_not_run"
    with time_machine.travel(dose.started_at + dt.timedelta(minutes=50)):
        assert dose_step(actor=acting(session.nurse), dose=dose, step="complete").status == "completed"


@pytest.mark.django_db
def test_no_dose_starts_on_a_cancelled_session(center, session, second_nurse):
    ready(center, session)
    pre_session_check_record(actor=acting(session.nurse), session=session, confirmed=ALL_CONFIRMED)
    dose = dose_verify(actor=acting(second_nurse), dose=prepared(session), password=PASSWORD)
    treatment_session_close(actor=acting(session.nurse), session=session, status="cancelled", reason="Patient unwell")
    with pytest.raises(Conflict) as raised:
        dose_start(actor=acting(session.nurse), dose=dose)
    assert raised.value.code == "session_not_open"
    assert DoseAdministration.objects.get(pk=dose.pk).status == "verified"


@pytest.mark.django_db
def test_a_stop_records_what_was_given_and_waste_must_balance_with_a_witness(
    center,
    session,
    second_nurse,
):
    dose = running(center, session, second_nurse)
    with pytest.raises(RuleViolation) as raised:
        dose_step(actor=acting(session.nurse), dose=dose, step="stop", reason="Severe dissociation")
    assert raised.value.code == "given_required"
    dose = dose_step(actor=acting(session.nurse), dose=dose, step="stop", reason="Severe dissociation", given_mg="22.5")
    assert (dose.status, dose.given_mg) == ("stopped", Decimal("22.5"))
    with pytest.raises(RuleViolation) as raised:
        waste_record(
            actor=acting(session.nurse), dose=dose, wasted_mg="10", witness=session.nurse, witness_password=PASSWORD
        )
    assert raised.value.code == "same_clinician"
    with pytest.raises(RuleViolation) as raised:
        waste_record(
            actor=acting(session.nurse), dose=dose, wasted_mg="10", witness=second_nurse, witness_password=PASSWORD
        )
    assert raised.value.code == "waste_unbalanced" and "27.5" in str(raised.value)  # 50 drawn - 22.5 given
    with pytest.raises(Forbidden, match="password"):
        waste_record(
            actor=acting(session.nurse), dose=dose, wasted_mg="27.5", witness=second_nurse, witness_password="no"
        )
    dose = waste_record(
        actor=acting(session.nurse), dose=dose, wasted_mg="27.5", witness=second_nurse, witness_password=PASSWORD
    )
    assert (dose.wasted_mg, dose.waste_witness) == (Decimal("27.5"), second_nurse)
    assert AuditEntry.objects.filter(action="dose.waste_recorded", patient=session.patient).exists()
    with pytest.raises(Conflict):
        waste_record(
            actor=acting(session.nurse), dose=dose, wasted_mg="27.5", witness=second_nurse, witness_password=PASSWORD
        )


@pytest.mark.django_db
def test_an_intervention_names_drug_dose_route_reason_and_the_ordering_prescriber(
    center,
    session,
    second_nurse,
):
    with pytest.raises(RuleViolation) as raised:
        intervention_record(
            actor=acting(session.nurse),
            session=session,
            drug="Ondansetron",
            amount="4 mg",
            drug_route="IV",
            reason="Nausea",
            ordered_by=second_nurse,
        )
    assert raised.value.code == "bad_orderer"
    event = intervention_record(
        actor=acting(second_nurse),
        session=session,
        drug="Ondansetron",
        amount="4 mg",
        drug_route="IV",
        reason="Nausea",
        ordered_by=session.nurse,  # the session fixture's nurse is a prescriber
    )
    assert (event.kind, event.drug, event.ordered_by) == ("intervention", "Ondansetron", session.nurse)


@pytest.fixture
def esketamine_session(center, session):  # type: ignore[no-untyped-def]
    patient = PatientFactory(center=center)
    plan = StandInPlanFactory(
        patient=patient,
        signer=session.nurse,
        route="esketamine_nasal_spray",
        # The MDSI protocol starts at 84 mg; TRD's day 1 is 56 mg (protocols.md 4).
        protocol_key="esketamine_mdsi_us",
        fixed_dose_mg=Decimal("84"),
        min_observation_minutes=120,
    )
    rems_enrollment_record(
        actor=acting(session.nurse), patient=patient, enrollment_reference="REMS-1", enrolled_on=timezone.localdate()
    )
    return TreatmentSessionFactory(plan=plan, chair=session.chair, nurse=session.nurse)


@pytest.mark.django_db
def test_esketamine_devices_are_timed_with_the_rest_between_them(center, esketamine_session, second_nurse):
    eske = esketamine_session
    dose = dose_prepare(actor=acting(eske.nurse), session=eske, drawn_mg="84", lot=lot_for(eske))
    assert (dose.drug, dose.dose_mg, dose.device_count) == ("esketamine", Decimal("84.0"), 3)
    dose = dose_verify(actor=acting(second_nurse), dose=dose, password=PASSWORD)
    consent_on_file(patient=eske.patient, route="esketamine_nasal_spray", witness=eske.nurse)
    with pytest.raises(RuleViolation):
        device_given(actor=acting(eske.nurse), dose=dose)  # no checklist yet
    vital_sign_record(actor=acting(eske.nurse), session=eske, values={"systolic_mmhg": 124, "diastolic_mmhg": 78})
    # The esketamine protocols ask for a recent pregnancy test of a patient who could be pregnant.
    pregnancy_test_record(
        actor=acting(eske.nurse), patient=eske.patient, kind="urine_hcg", result="negative", tested_at=timezone.now()
    )
    check = pre_session_check_record(actor=acting(eske.nurse), session=eske, confirmed=ALL_CONFIRMED)
    # No pre-session questionnaire in this test; a prescriber overrides that one item.
    pre_session_override(
        actor=acting(eske.nurse), check=check, item="questionnaire", reason="Patient completed it on paper."
    )
    assert PreSessionCheck.objects.get(pk=check.pk).passed
    first = device_given(actor=acting(eske.nurse), dose=dose)
    assert first.device_number == 1
    for step in ("complete", "pause"):  # only the last device ends it
        with pytest.raises(RuleViolation) as raised:
            dose_step(actor=acting(eske.nurse), dose=dose, step=step, reason="Testing")
        assert raised.value.code == "not_infusion"
    with pytest.raises(RuleViolation) as raised:
        device_given(actor=acting(eske.nurse), dose=dose)
    assert raised.value.code == "device_rest"
    start = timezone.now()
    with time_machine.travel(start + dt.timedelta(minutes=5, seconds=5)):
        assert device_given(actor=acting(eske.nurse), dose=dose).device_number == 2
    with time_machine.travel(start + dt.timedelta(minutes=10, seconds=10)):
        third = device_given(actor=acting(eske.nurse), dose=dose)
        with pytest.raises(Conflict):
            device_given(actor=acting(eske.nurse), dose=dose)
    dose.refresh_from_db()
    assert third.device_number == 3 and (dose.status, dose.given_mg) == ("completed", Decimal("84.0"))
    assert dose.started_at == first.occurred_at and dose.ended_at == third.occurred_at


@pytest.mark.django_db
def test_the_flowsheet_runs_the_dose_over_http(center, session, second_nurse):
    url = reverse("sessions:flowsheet", kwargs={"session_id": session.external_id})
    nurse = signed_in(session.nurse)
    response = nurse.post(
        reverse("sessions:dose_prepare", kwargs={"session_id": session.external_id}),
        prepare_post(session),
    )
    assert response.status_code == 302 and response["Location"].endswith("#dose")
    page = nurse.get(url).content.decode()
    assert "0.5 mg/kg x 80 kg = 40 mg" in page and "awaiting a second clinician" in page
    assert "Verify the dose" not in page  # not offered to the one who prepared it
    verifier = signed_in(second_nurse)
    assert "Verify the dose" in verifier.get(url).content.decode()
    verifier.post(reverse("sessions:dose_verify", kwargs={"session_id": session.external_id}), {"password": "wrong"})
    assert DoseAdministration.objects.get().status == "prepared"
    verifier.post(reverse("sessions:dose_verify", kwargs={"session_id": session.external_id}), {"password": PASSWORD})
    assert DoseAdministration.objects.get().verified_by == second_nurse
    refused = nurse.post(reverse("sessions:dose_step", kwargs={"session_id": session.external_id}), {"step": "start"})
    assert refused.status_code == 302
    assert "pre-session checklist" in nurse.get(url).content.decode()
    assert TreatmentSession.objects.get(pk=session.pk).status == "scheduled"
    assert DoseAdministration.objects.get().status == "verified"


@pytest.mark.django_db
def test_a_dose_prepared_wrong_is_withdrawn_wasted_and_kept_then_prepared_again(session, second_nurse):
    wrong = prepared(session, weight_kg=Decimal("90"))  # the patient weighs 80 kg
    with pytest.raises(RuleViolation) as raised:
        dose_withdraw(
            actor=acting(session.nurse), dose=wrong, reason="", witness=second_nurse, witness_password=PASSWORD
        )
    assert raised.value.code == "reason_required"
    with pytest.raises(Forbidden, match="password"):
        dose_withdraw(
            actor=acting(session.nurse), dose=wrong, reason="Wrong weight", witness=second_nurse, witness_password="x"
        )
    withdrawn = dose_withdraw(
        actor=acting(session.nurse),
        dose=wrong,
        reason="Wrong weight typed",
        witness=second_nurse,
        witness_password=PASSWORD,
    )
    assert (withdrawn.given_mg, withdrawn.wasted_mg, withdrawn.waste_witness) == (
        Decimal(0),
        Decimal("50.0"),
        second_nurse,
    )
    assert withdrawn.entered_in_error_at is not None
    assert AuditEntry.objects.filter(action="dose.withdrawn", patient=session.patient).exists()
    with pytest.raises(Conflict) as raised:  # a withdrawn dose takes no further step
        dose_verify(actor=acting(second_nurse), dose=withdrawn, password=PASSWORD)
    assert raised.value.code == "dose_withdrawn"
    right = prepared(session)
    assert right.dose_mg == Decimal("40.0")
    assert DoseAdministration.objects.filter(session=session).count() == 2  # nothing deleted
    page = signed_in(session.nurse).get(reverse("sessions:flowsheet", kwargs={"session_id": session.external_id}))
    assert "Withdrawn" in page.content.decode() and "Wrong weight typed" in page.content.decode()


@pytest.mark.django_db
def test_a_started_dose_cannot_be_withdrawn(center, session, second_nurse):
    dose = running(center, session, second_nurse)
    with pytest.raises(Conflict):
        dose_withdraw(
            actor=acting(session.nurse), dose=dose, reason="Too late", witness=second_nurse, witness_password=PASSWORD
        )


@pytest.mark.django_db
def test_an_intervention_given_before_it_was_charted_keeps_its_time(center, session):
    # Half an hour into the session, charting what was given ten minutes ago (any time of day).
    now = (session.starts_at + dt.timedelta(minutes=30)).replace(second=0, microsecond=0)
    given = now - dt.timedelta(minutes=10)
    with time_machine.travel(now):
        response = signed_in(session.nurse).post(
            reverse("sessions:intervention", kwargs={"session_id": session.external_id}),
            {
                "given_at": f"{given.astimezone(center.zone):%H:%M}",
                "drug": "Ondansetron",
                "amount": "4 mg",
                "drug_route": "IV",
                "reason": "Nausea",
                "ordered_by": str(session.nurse.pk),
            },
        )
    assert response.status_code == 302
    event = SessionEvent.objects.get(kind="intervention")
    assert event.occurred_at == given and event.recorded_at >= now
