"""Steps the sessions tests share: booking a series, getting a patient ready, preparing and
running a dose, posting monitor readings, confirming a visit, recording an esketamine session.

Fixtures live in conftest.py; these are the plain steps a test calls with the objects it has.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
import zoneinfo
from decimal import Decimal

import time_machine
from django.test import Client
from django.utils import timezone

from ketaclinic.measures.services.responses import questionnaire_response_save
from ketaclinic.sessions.models import (
    DischargeAssessment,
    DoseAdministration,
    SessionEvent,
    TreatmentSession,
    VitalSign,
)
from ketaclinic.sessions.services.checklist import NURSE_ITEMS, pre_session_check_record
from ketaclinic.sessions.services.dose import dose_prepare, dose_start, dose_verify
from ketaclinic.sessions.services.flowsheet import vital_sign_record
from ketaclinic.treatment.models import TreatmentPlan
from ketaclinic.treatment.services import plan_defaults, protocol_get, treatment_plan_sign
from tests.factories import (
    PASSWORD,
    ChairFactory,
    DrugLotFactory,
    DrugProductFactory,
    PatientFactory,
    StaffFactory,
    StandInPlanFactory,
    TreatmentSessionFactory,
    consent_on_file,
    eligible_consultation_sign,
)
from tests.steps import acting
from tests.treatment.steps import iv_plan

LA = zoneinfo.ZoneInfo("America/Los_Angeles")

# --- booking ------------------------------------------------------------------------------------


def next_monday_at(hour: int) -> dt.datetime:
    today = timezone.localdate()
    monday = today + dt.timedelta(days=7 - today.weekday())
    return dt.datetime.combine(monday, dt.time(hour), tzinfo=LA)


def signed_plan(prescriber, patient):  # type: ignore[no-untyped-def]
    eligible_consultation_sign(prescriber=prescriber, patient=patient)
    fields = plan_defaults(protocol_get("iv_racemic_ketamine")) | {
        "indication": "TRD",
        "goals": "Remission",
        "measurement_instruments": ["phq9"],
        "phase": "induction",
        "re_evaluation_due_on": timezone.localdate() + dt.timedelta(days=30),
    }
    return treatment_plan_sign(actor=acting(prescriber), patient=patient, fields=fields, password=PASSWORD)


def signed_iv_session(
    prescriber, patient, *, starts_at: dt.datetime, booked_at: dt.datetime | None = None, **plan_fields
) -> TreatmentSession:  # type: ignore[no-untyped-def]
    """``patient``'s first IV session of a plan ``prescriber`` signs as ``iv_plan(**plan_fields)``, booked
    for ``starts_at`` (at ``booked_at``, or then), the prescriber also the nurse in charge."""
    eligible_consultation_sign(prescriber=prescriber, patient=patient)
    plan = treatment_plan_sign(
        actor=acting(prescriber), patient=patient, fields=iv_plan(**plan_fields), password=PASSWORD
    )
    return TreatmentSession.objects.create(
        patient=patient,
        plan=plan,
        chair=ChairFactory(room__center=patient.center),
        nurse=prescriber,
        number_in_series=1,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=80),
        booked_by=prescriber,
        booked_at=booked_at or starts_at,
    )


# --- the pre-session checklist ------------------------------------------------------------------

ALL_CONFIRMED = dict.fromkeys(NURSE_ITEMS, True)


def checklist_run(session):  # type: ignore[no-untyped-def]
    """The nurse in charge runs the pre-session checklist, confirming every item she is asked."""
    return pre_session_check_record(actor=acting(session.nurse), session=session, confirmed=ALL_CONFIRMED)


def ready(center, session) -> None:  # type: ignore[no-untyped-def]
    """Consent, calm pre-dose vitals and today's PHQ-9, as the record would show them."""
    patient = session.patient
    consent_on_file(patient=patient, route="iv", witness=session.nurse)
    vital_sign_record(
        actor=acting(session.nurse),
        session=session,
        values={"systolic_mmhg": 126, "diastolic_mmhg": 80, "heart_rate_bpm": 72, "spo2_percent": 98},
    )
    questionnaire_response_save(
        actor=acting(session.nurse),
        patient=patient,
        instrument_code="phq9",
        answers=dict.fromkeys(range(1, 10), 1) | {9: 0},
        source="staff",
        complete=True,
    )


# --- the dose -----------------------------------------------------------------------------------

LOT = {"lot_number": "KET-2291", "lot_expires_on": dt.date(2030, 1, 31)}


def lot_for(session, *, lot_number: str = LOT["lot_number"], lot_expires_on=LOT["lot_expires_on"]):  # type: ignore[no-untyped-def]
    """A lot on the shelf of the session's center for its route: 10 mg/mL vials, or 28 mg devices."""
    if not lot_number.strip():
        return None  # nothing picked
    esketamine = session.plan.route == "esketamine_nasal_spray"
    product = DrugProductFactory(esketamine=esketamine)
    return DrugLotFactory(
        center=session.patient.center, product=product, lot_number=lot_number, expires_on=lot_expires_on
    )


def prepared(session, **changes):  # type: ignore[no-untyped-def]
    """Prepare the dose from a lot on the center's shelf (``lot_number``/``lot_expires_on`` shape that lot)."""
    lot_changes = {name: changes.pop(name) for name in ("lot_number", "lot_expires_on") if name in changes}
    values = {"weight_kg": Decimal("80"), "drawn_mg": Decimal("50")}
    lot = changes.pop("lot") if "lot" in changes else lot_for(session, **lot_changes)
    return dose_prepare(actor=acting(session.nurse), session=session, lot=lot, **(values | changes))


def prepare_post(session):  # type: ignore[no-untyped-def]
    """The dose form as the nurse submits it: 80 kg, 50 mg drawn from a lot picked from the list."""
    return {"weight_kg": "80", "lot": str(lot_for(session).external_id), "drawn_mg": "50"}


def running(center, session, second_nurse, *, minutes_ago: int = 0):  # type: ignore[no-untyped-def]
    """A dose started after a passed checklist and a second clinician's check, some minutes ago."""
    began = timezone.now() - dt.timedelta(minutes=minutes_ago)
    if minutes_ago:
        # The session began with its dose; just after midnight that was yesterday's session.
        session.ends_at, session.starts_at = began + (session.ends_at - session.starts_at), began
        session.save(update_fields=["starts_at", "ends_at"])
    with time_machine.travel(began):
        ready(center, session)
        pre_session_check_record(actor=acting(session.nurse), session=session, confirmed=ALL_CONFIRMED)
        dose = dose_verify(actor=acting(second_nurse), dose=prepared(session), password=PASSWORD)
        return dose_start(actor=acting(session.nurse), dose=dose)


# --- monitor readings over HTTP -----------------------------------------------------------------

TOKEN = "monitor-token-for-chair-1a-0123456789"


def batch(start: dt.datetime) -> dict:  # type: ignore[type-arg]
    return {
        "readings": [
            {
                "idempotency_key": f"r{n}",
                "measured_at": (start + dt.timedelta(minutes=10 * n)).isoformat(),
                "systolic_mmhg": 128 + 30 * n,
                "diastolic_mmhg": 80,
                "heart_rate_bpm": 72,
                "spo2_percent": 98,
            }
            for n in range(3)
        ]
    }


def post(client: Client, session, body, token: str = TOKEN):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/sessions/{session.external_id}/vitals",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


# --- the day-before confirmation ----------------------------------------------------------------


def session_at(patient, starts_at: dt.datetime, **fields) -> TreatmentSession:  # type: ignore[no-untyped-def]
    plan = TreatmentPlan.objects.filter(patient=patient).first() or StandInPlanFactory(patient=patient)
    return TreatmentSessionFactory(plan=plan, starts_at=starts_at, **fields)


def tomorrow_at(hour: int, minute: int = 0) -> dt.datetime:
    """Tomorrow at the given local time in Buena Park, by the real clock (for links that must not expire)."""
    tomorrow = timezone.now().astimezone(LA).date() + dt.timedelta(days=1)
    return dt.datetime.combine(tomorrow, dt.time(hour, minute), tzinfo=LA)


def link_from(body: str) -> str:
    match = re.search(r"https?://\S+?(/c/[^/\s]+/)", body)
    assert match, body
    return match.group(1)


# --- an esketamine session for the REMS form ----------------------------------------------------

ESKETAMINE = "esketamine_nasal_spray"


def esketamine_session(*, center, nurse, starts_at=None, **fields) -> TreatmentSession:  # type: ignore[no-untyped-def]
    patient = fields.pop("patient", None) or PatientFactory(center=center)
    plan = fields.pop("plan", None) or StandInPlanFactory(
        patient=patient, route=ESKETAMINE, protocol_key="esketamine_trd_us", signer=StaffFactory(center=center)
    )
    starts_at = starts_at or timezone.now() - dt.timedelta(days=2)
    return TreatmentSessionFactory(plan=plan, nurse=nurse, starts_at=starts_at, **fields)


def reading(session, minute, **values) -> VitalSign:  # type: ignore[no-untyped-def]
    return VitalSign.objects.create(
        session=session,
        measured_at=session.starts_at + dt.timedelta(minutes=minute),
        source=VitalSign.Source.HAND,
        recorded_by=session.nurse,
        idempotency_key=f"test-{uuid.uuid4()}",
        **values,
    )


def record_a_session(session: TreatmentSession, *, verifier) -> None:  # type: ignore[no-untyped-def]
    """84 mg in three devices from minute 10, readings every so often, discharged at minute 135."""
    at = session.starts_at
    reading(
        session,
        5,
        systolic_mmhg=128,
        diastolic_mmhg=82,
        heart_rate_bpm=72,
        spo2_percent=98,
        respiratory_rate=14,
        moaas=5,
    )
    dose = DoseAdministration.objects.create(
        session=session, drug="esketamine", route=ESKETAMINE, protocol_key="esketamine_trd_us",
        cap_mg=Decimal("84"), dose_mg=Decimal("84"), device_count=3, rule_version="2026.1",
        lot_number="ESK24A17", lot_expires_on=dt.date(2027, 6, 30), drawn_mg=Decimal("84"), given_mg=Decimal("84"),
        prepared_by=session.nurse, prepared_at=at, verified_by=verifier, verified_at=at + dt.timedelta(minutes=8),
        status=DoseAdministration.Status.COMPLETED, started_at=at + dt.timedelta(minutes=10),
        ended_at=at + dt.timedelta(minutes=20),
    )  # fmt: skip
    for number, minute in enumerate((10, 15, 20), start=1):
        SessionEvent.objects.create(
            session=session, dose=dose, kind=SessionEvent.Kind.DEVICE_GIVEN, device_number=number,
            occurred_at=at + dt.timedelta(minutes=minute), recorded_by=session.nurse, recorded_at=at,
        )  # fmt: skip
    reading(session, 25, systolic_mmhg=150, diastolic_mmhg=90, spo2_percent=97, moaas=4, dissociation=1)
    reading(session, 47, systolic_mmhg=146, diastolic_mmhg=90)
    reading(session, 52, systolic_mmhg=142, diastolic_mmhg=88, spo2_percent=97, respiratory_rate=14)
    reading(session, 90, spo2_percent=96, dissociation=0)
    reading(session, 130, systolic_mmhg=126, diastolic_mmhg=80, spo2_percent=98, moaas=5, dissociation=0)
    DischargeAssessment.objects.create(
        session=session, criteria={"vitals_near_baseline": {"ok": True, "how": "126/80"}}, criteria_version="test",
        assessed_by=session.nurse, assessed_at=at + dt.timedelta(minutes=135), discharged=True,
    )  # fmt: skip
    session.status = TreatmentSession.Status.COMPLETED
    session.save()
