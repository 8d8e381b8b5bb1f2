"""Demo sessions: at each center, a clinic day in the center's own opening hours and time zone.

The demo's day is today if the center opens today (open now, later today, or already closed
tonight), otherwise the last day it was open (yesterday's hours on a Sunday night, say). Today's
sessions are laid out around now, held inside those hours, and each has got as far as the clock
says: before opening they are all still booked; during the day one is in the chair, one under
observation and one done; after closing all are done, so the demo never shows an infusion at
1 a.m. The sessions said to be "tomorrow" are on the next clinic day after it, and the earlier
esketamine sessions on the clinic days on or before three and four days back.

Eligibility decisions, plans, consents, REMS enrollments, readings, REMS forms and day-before
confirmations go through the services. Steps that happened earlier (checklist, dose, events,
discharge, the signed note) are stamped with times the services cannot take, so they are
bulk-created with their history, as the services would have written them.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.models import User
from ketaclinic.clinics.actors import Actor
from ketaclinic.clinics.models import Chair, Room, TreatmentCenter
from ketaclinic.core.discharge import DISCHARGE_RULES, observation_time_passed, vitals_near_baseline
from ketaclinic.core.monitoring import MEASURES
from ketaclinic.core.scheduling import session_length
from ketaclinic.demo.network import CENTERS, DEMO_PASSWORD, SEED_AUTHOR
from ketaclinic.intake.consultation_sections import HISTORY_FACTS
from ketaclinic.intake.services.consultation import consultation_start, consultation_update
from ketaclinic.intake.services.decision import eligibility_decision_sign
from ketaclinic.measures.models import OutgoingMessage
from ketaclinic.measures.services.responses import questionnaire_response_save
from ketaclinic.messaging.confirmations import session_confirmations_queue
from ketaclinic.messaging.sending import outgoing_message_mark
from ketaclinic.patients.models import Patient, TreatmentRoute
from ketaclinic.patients.selectors.consents import consent_current
from ketaclinic.patients.services.consents import consent_sign
from ketaclinic.pharmacy.models import DrugLot
from ketaclinic.pharmacy.services import drug_lot_receive, stock_draw
from ketaclinic.sessions.models import (
    DischargeAssessment,
    DoseAdministration,
    PreSessionCheck,
    SessionEvent,
    SessionNote,
    TreatmentSession,
    VitalSign,
)
from ketaclinic.sessions.services.booking import dosing_minutes
from ketaclinic.sessions.services.checklist import NURSE_ITEMS
from ketaclinic.sessions.services.confirmations import session_confirmation_answer
from ketaclinic.sessions.services.dose import dose_result, dose_row
from ketaclinic.sessions.services.flowsheet import vital_sign_record
from ketaclinic.sessions.services.notes import content_digest, session_note_text
from ketaclinic.sessions.services.rems import (
    rems_enrollment_record,
    rems_form_open,
    rems_form_save,
    rems_form_sign,
    rems_form_submit,
)
from ketaclinic.treatment.models import TreatmentPlan
from ketaclinic.treatment.services import plan_defaults, protocol_get, treatment_plan_sign

IV = "iv_racemic_ketamine"
ESKETAMINE = "esketamine_trd_us"
# Patients after the first twenty of each center, whom the measures demo leaves alone.
FIRST_PATIENT = 20
# The lot each route draws from at every demo center: product key, lot number, months to expiry.
LOT = {
    "iv": ("ketamine_10mg_ml_20ml", "KET-2291", 10),
    "esketamine_nasal_spray": ("esketamine_28mg_device", "ESK-24A17", 7),
}
LOT_UNITS_RECEIVED = 40
Kind = SessionEvent.Kind
Dose = DoseAdministration.Status


@dataclass(frozen=True, slots=True)
class Staff:
    nurse: User
    prescriber: User
    desk: User


@dataclass(slots=True)
class Rows:
    """What one center's past steps bulk-create, model by model, in the order they depend."""

    checks: list[PreSessionCheck] = field(default_factory=list)
    doses: list[DoseAdministration] = field(default_factory=list)
    events: list[SessionEvent] = field(default_factory=list)
    discharges: list[DischargeAssessment] = field(default_factory=list)


def _staff(center: TreatmentCenter) -> Staff:
    short = next(spec.short for spec in CENTERS if spec.slug == center.slug)
    users = {u.username: u for u in User.objects.filter(username__endswith=f".{short}")}
    return Staff(users[f"nurse.{short}"], users[f"prescriber.{short}"], users[f"frontdesk.{short}"])


def _eligible_plan(
    *, staff: Staff, patient: Patient, protocol_key: str, weight_kg: Decimal, today: dt.date
) -> TreatmentPlan:
    """The substance screens, a consultation with nothing against, a signed decision and plan."""
    prescriber = Actor.of(staff.prescriber)
    protocol = protocol_get(protocol_key)
    route = protocol.route.value
    for code, items in (("audit_c", 3), ("dast10", 10)):
        questionnaire_response_save(
            actor=prescriber, patient=patient, instrument_code=code, answers=dict.fromkeys(range(1, items + 1), 0),
            source="staff", complete=True,
        )  # fmt: skip
    consultation = consultation_start(actor=prescriber, patient=patient)
    consultation_update(
        actor=prescriber,
        consultation=consultation,
        fields={
            "presenting_problem": "Major depression, two adequate antidepressant trials without remission.",
            "diagnosis_codes": ["F33.2"],
            "history": dict.fromkeys(HISTORY_FACTS, False) | {"has_escort_home": True},
            "are_medications_reconciled": True,
            "systolic_mmhg": 122,
            "diastolic_mmhg": 78,
            "heart_rate_bpm": 72,
            "weight_kg": weight_kg,
            "height_cm": 170,
        },
    )
    eligibility_decision_sign(
        actor=prescriber, consultation=consultation, route=route, decision="eligible",
        reason="Treatment-resistant depression; no contraindication found.", justifications={},
        password=DEMO_PASSWORD,
    )  # fmt: skip
    fields = plan_defaults(protocol) | {
        "indication": "Treatment-resistant depression",
        "measurement_instruments": ["phq9", "gad7"],
        "goals": "50% drop in PHQ-9 by the end of induction; back to work full time.",
        "re_evaluation_due_on": today + dt.timedelta(days=42),
        "phase": TreatmentPlan.Phase.INDUCTION,
    }
    if fields["cap_mg"] is None:  # esketamine: the ceiling is the largest dose the protocol allows
        fields["cap_mg"] = max(protocol.decimals("dose_options_mg"))
    return treatment_plan_sign(actor=prescriber, patient=patient, fields=fields, password=DEMO_PASSWORD)


def _consent(*, staff: Staff, patient: Patient, route: str) -> None:
    nurse = Actor.of(staff.nurse)
    consent_sign(
        actor=nurse, patient=patient, route=route, typed_name=f"{patient.given_name} {patient.family_name}",
        has_read=True,
    )  # fmt: skip


def _session(
    *, plan: TreatmentPlan, chair: Chair, nurse: User, starts_at: dt.datetime, booked_by: User, booked_at: dt.datetime
) -> TreatmentSession:
    length = session_length(dosing_minutes=dosing_minutes(plan), observation_minutes=plan.min_observation_minutes)
    return TreatmentSession(
        patient=plan.patient, plan=plan, chair=chair, nurse=nurse, number_in_series=1, starts_at=starts_at,
        ends_at=starts_at + length, booked_by=booked_by, booked_at=booked_at,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Timeline:
    """Minutes after the session's start for each step; None where the step has not happened."""

    dose_minutes: tuple[int, ...]  # start (IV) or each device (esketamine)
    ended: int | None  # dose completed
    readings: tuple[int, ...]
    pause: tuple[int, int] | None = None
    discharged: int | None = None


def _at(session: TreatmentSession, minute: int) -> dt.datetime:
    return session.starts_at + dt.timedelta(minutes=minute)


def _readings(
    rng: random.Random, *, staff: Staff, session: TreatmentSession, timeline: Timeline, alert_minute: int | None
) -> list[VitalSign]:
    """Calm readings around a baseline; one reading over the rise-over-baseline limit if asked."""
    systolic, diastolic, pulse = rng.randrange(116, 132), rng.randrange(72, 84), rng.randrange(64, 80)
    esketamine = session.plan.route == TreatmentRoute.ESKETAMINE
    signs = []
    for minute in timeline.readings:
        after = minute - timeline.dose_minutes[0]
        peak = 0 < after <= 45
        values: dict[str, Any] = {
            "systolic_mmhg": systolic + (rng.randrange(8, 22) if peak else rng.randrange(-4, 6)),
            "diastolic_mmhg": diastolic + (rng.randrange(4, 10) if peak else rng.randrange(-3, 4)),
            "heart_rate_bpm": pulse + rng.randrange(-3, 9),
            "spo2_percent": rng.choice((97, 98, 98, 99)),
            "respiratory_rate": rng.randrange(12, 17),
            "moaas": 4 if peak and rng.random() < 0.5 else 5,
            "dissociation": (1 if esketamine or rng.random() < 0.5 else 2) if peak and after <= 40 else 0,
            "nausea": 0,
        }
        if minute == alert_minute:
            values |= {"systolic_mmhg": systolic + 50, "diastolic_mmhg": diastolic + 14, "heart_rate_bpm": pulse + 14}
        signs.append(
            vital_sign_record(
                actor=Actor.of(session.nurse), session=session, values=values, measured_at=_at(session, minute)
            )
        )
    return signs


def _check(session: TreatmentSession, minute: int, predose: VitalSign) -> PreSessionCheck:
    """The checklist as pre_session_check_record writes it, at the time it was run."""
    consent = consent_current(patient=session.patient, route=session.plan.route)
    assert consent is not None
    items: dict[str, dict[str, Any]] = {item: {"ok": True, "how": "confirmed by the nurse"} for item in NURSE_ITEMS}
    items |= {
        "consent": {"ok": True, "how": f"signed {consent.signed_at:%Y-%m-%d}"},
        "predose_vitals": {"ok": True, "how": f"taken {timezone.localtime(predose.measured_at):%H:%M}"},
        "questionnaire": {"ok": True, "how": "completed today"},
    }
    return PreSessionCheck(session=session, items=items, checked_by=session.nurse, checked_at=_at(session, minute))


def _lots(*, staff: Staff, center: TreatmentCenter, today: dt.date) -> dict[str, DrugLot]:
    """Receive each route's demo lot into the center's stock, through the service (a prescriber manages stock)."""
    lots = {}
    for route, (product_key, number, months) in LOT.items():
        lots[route] = drug_lot_receive(
            actor=Actor.of(staff.prescriber), center=center, product_key=product_key, lot_number=number,
            expires_on=today + dt.timedelta(days=30 * months), units=LOT_UNITS_RECEIVED,
        )  # fmt: skip
    return lots


def _dose(
    *, session: TreatmentSession, timeline: Timeline, verifier: User, weight_kg: Decimal, lot: DrugLot
) -> DoseAdministration:
    plan, product = session.plan, lot.product
    if plan.route == TreatmentRoute.IV:
        result = dose_result(plan=plan, weight_kg=weight_kg, concentration_mg_per_ml=product.strength_mg_per_ml)
    else:
        result = dose_result(plan=plan)
    first = timeline.dose_minutes[0]
    status = Dose.RUNNING if timeline.ended is None else Dose.COMPLETED
    return dose_row(
        session=session,
        plan=plan,
        result=result,
        lot=lot,
        drawn_mg=result.dose_mg,
        prepared_by=session.nurse,
        prepared_at=_at(session, first - 6),
        verified_by=verifier,
        verified_at=_at(session, first - 3),
        status=status,
        started_at=_at(session, first),
        ended_at=_at(session, timeline.ended) if timeline.ended is not None else None,
        given_mg=result.dose_mg if timeline.ended is not None else None,
    )


def _events(session: TreatmentSession, dose: DoseAdministration, timeline: Timeline) -> list[SessionEvent]:
    def event(kind: str, minute: int, **fields: Any) -> SessionEvent:
        return SessionEvent(
            session=session, dose=dose, kind=kind, occurred_at=_at(session, minute), recorded_by=session.nurse,
            recorded_at=_at(session, minute), **fields,
        )  # fmt: skip

    if dose.route == TreatmentRoute.ESKETAMINE:
        events = [
            event(Kind.DEVICE_GIVEN, minute, device_number=number)
            for number, minute in enumerate(timeline.dose_minutes, start=1)
        ]
    else:
        events = [event(Kind.DOSE_STARTED, timeline.dose_minutes[0])]
    if timeline.pause is not None:
        events.append(
            event(Kind.PAUSED, timeline.pause[0], reason="Blood pressure rose over baseline; prescriber told.")
        )
        events.append(event(Kind.RESUMED, timeline.pause[1]))
    if timeline.ended is not None:
        events.append(event(Kind.DOSE_COMPLETED, timeline.ended))
    return events


def _discharge(
    session: TreatmentSession, dose: DoseAdministration, readings: list[VitalSign], minute: int
) -> DischargeAssessment:
    """The discharge check as discharge_assess writes it, at the time it was done."""
    at = _at(session, minute)
    before = [r for r in readings if dose.started_at and r.measured_at <= dose.started_at] or readings
    baseline = {m: next((getattr(r, m) for r in before if getattr(r, m) is not None), None) for m in MEASURES}
    latest = readings[-1]
    answers = {
        "vitals_near_baseline": vitals_near_baseline(
            baseline=baseline, latest={m: getattr(latest, m) for m in MEASURES}, latest_at=latest.measured_at, now=at
        ),
        "observation_time_passed": observation_time_passed(
            dose_ended_at=dose.ended_at, now=at, minimum_minutes=session.plan.min_observation_minutes
        ),
    }
    criteria = {key: {"ok": answer.ok, "how": answer.how} for key, answer in answers.items()}
    for criterion in DISCHARGE_RULES.nurse_criteria:
        criteria[criterion.key] = {"ok": True, "how": "confirmed by the nurse"}
    escort = f"{session.patient.emergency_contact_name} ({session.patient.emergency_contact_relationship})"
    criteria["escort_present"]["how"] = f"escort: {escort}"
    return DischargeAssessment(
        session=session, criteria=criteria, criteria_version=DISCHARGE_RULES.version, escort_name=escort,
        assessed_by=session.nurse, assessed_at=at, discharged=all(a["ok"] for a in criteria.values()),
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class ClinicDay:
    """One day's opening hours at a center, as instants."""

    on: dt.date
    opens_at: dt.datetime
    closes_at: dt.datetime


# Today's stories start up to four hours before the moment they are told around, and the last
# one starts two hours after it and takes about two: the moment is held this far inside the hours.
PAST_SPAN = dt.timedelta(hours=4)
AHEAD_SPAN = dt.timedelta(hours=4)


def _clinic_day(center: TreatmentCenter, on: dt.date) -> ClinicDay | None:
    hours = [h for h in center.opening_hours.all() if h.weekday == on.weekday()]
    if not hours:
        return None
    zone = zoneinfo.ZoneInfo(center.time_zone)
    opens = min(h.opens_at for h in hours)
    closes = max(h.closes_at for h in hours)
    return ClinicDay(on, dt.datetime.combine(on, opens, tzinfo=zone), dt.datetime.combine(on, closes, tzinfo=zone))


def _clinic_day_from(center: TreatmentCenter, on: dt.date, *, step: int) -> ClinicDay:
    """The first day the center is open, from ``on`` (itself included) ``step`` days at a time."""
    for n in range(7):
        day = _clinic_day(center, on + dt.timedelta(days=step * n))
        if day is not None:
            return day
    raise ValueError(f"{center.slug} has no opening hours, so the demo has no day to show.")


def demo_day(center: TreatmentCenter, now: dt.datetime) -> ClinicDay:
    """Today's hours if the center opens today, else the last clinic day's (see the module docstring)."""
    return _clinic_day_from(center, center.local_date(now), step=-1)


def _within(day: ClinicDay, starts_at: dt.datetime, length: dt.timedelta) -> dt.datetime:
    """The start moved, if need be, so that the whole session falls inside the day's hours."""
    return max(day.opens_at, min(starts_at, day.closes_at - length))


def _so_far(timeline: Timeline | None, minutes: float) -> Timeline | None:
    """The steps of a timeline that have happened ``minutes`` after the start; None before the dose."""
    if timeline is None or minutes < timeline.dose_minutes[0]:
        return None
    return Timeline(
        dose_minutes=tuple(m for m in timeline.dose_minutes if m <= minutes),
        ended=timeline.ended if timeline.ended is not None and timeline.ended <= minutes else None,
        readings=tuple(m for m in timeline.readings if m <= minutes),
        pause=timeline.pause if timeline.pause is not None and timeline.pause[1] <= minutes else None,
        discharged=timeline.discharged if timeline.discharged is not None and timeline.discharged <= minutes else None,
    )


def _story_so_far(story: Story, *, starts_at: dt.datetime, now: dt.datetime) -> Story:
    """The story as far as it has got by now: waste after the dose ends, the note after discharge."""
    minutes = (now - starts_at).total_seconds() / 60
    timeline = _so_far(story.timeline, minutes)
    ended = timeline.ended if timeline is not None else None
    discharged = timeline.discharged if timeline is not None else None
    return replace(
        story,
        timeline=timeline,
        waste=story.waste and ended is not None and ended + 2 <= minutes,
        note=story.note and discharged is not None and discharged + 8 <= minutes,
        rems=story.rems if discharged is not None else "",
    )


def _quarter(moment: dt.datetime) -> dt.datetime:
    return moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)


@dataclass(frozen=True, slots=True)
class Story:
    """One demo patient: protocol, when the session starts, how far it got, and the day-before answer."""

    protocol_key: str
    starts_at: dt.datetime
    timeline: Timeline | None = None
    alert_minute: int | None = None
    waste: bool = False
    note: bool = False
    rems: str = ""  # "draft" or "submitted"
    answer: tuple[bool, bool, str] | None = None
    tomorrow_too: dt.datetime | None = None


def _stories(center: TreatmentCenter, now: dt.datetime) -> list[Story]:
    """Every session's whole day; _story_so_far cuts each down to what has happened by now."""
    day = demo_day(center, now)
    # Held inside the hours, so that at 1 a.m. today's sessions are all still to come.
    minute = max(day.opens_at + PAST_SPAN, min(now, day.closes_at - AHEAD_SPAN)).replace(second=0, microsecond=0)
    tomorrow = _clinic_day_from(center, day.on + dt.timedelta(days=1), step=1).opens_at
    ago = lambda minutes: minute - dt.timedelta(minutes=minutes)  # noqa: E731
    days_back = lambda days: _clinic_day_from(center, day.on - dt.timedelta(days=days), step=-1).opens_at  # noqa: E731
    iv_full = Timeline(dose_minutes=(10,), ended=50, readings=(4, 10, 20, 30, 40, 50, 60, 70, 80, 90), discharged=93)
    in_chair = replace(iv_full, readings=(4, 10, 20, 25, 32, 40, 50, 60, 70, 80, 90), pause=(20, 26))
    eske = Timeline(
        dose_minutes=(10, 15), ended=15, readings=(4, 25, 40, 50, 65, 80, 95, 110, 125, 135), discharged=138
    )
    return [
        # In the chair: the infusion started 25 minutes ago; a rise in blood pressure paused it briefly.
        Story(
            IV,
            ago(35),
            in_chair,
            alert_minute=20,
            waste=True,
            note=True,
        ),
        # Infusion over 25 minutes ago; observed until discharge.
        Story(IV, ago(75), iv_full, waste=True, note=True),
        # Finished earlier today: discharged, waste witnessed, note signed.
        Story(IV, ago(240), iv_full, waste=True, note=True),
        # Later today.
        Story(IV, _quarter(minute + dt.timedelta(hours=2)), iv_full, waste=True, note=True),
        # Tomorrow: confirmed, no ride yet, and (below) an esketamine patient who has not answered.
        Story(IV, tomorrow + dt.timedelta(hours=1), answer=(True, True, "")),
        Story(
            IV,
            tomorrow + dt.timedelta(hours=3),
            answer=(True, False, "My sister can only pick me up after 1 pm. Can I stay until then?"),
        ),
        # Esketamine three days ago, form still a draft; the second session is tomorrow.
        Story(
            ESKETAMINE,
            days_back(3) + dt.timedelta(hours=2),
            eske,
            waste=True,
            note=True,
            rems="draft",
            tomorrow_too=tomorrow + dt.timedelta(hours=5, minutes=30),
        ),
        # Esketamine four days ago, form signed and submitted.
        Story(
            ESKETAMINE,
            days_back(4) + dt.timedelta(hours=2),
            eske,
            waste=True,
            note=True,
            rems="submitted",
        ),
    ]


REMS_NURSE_ANSWERS = {
    # The clinician's own judgement of the flowsheet's vitals; the form never pre-fills it.
    "vitals_acceptable_before": "yes",
    "vitals_acceptable_at_completion": "yes",
    "ready_to_leave_minute": "125",
    "events_details": "Mild dissociation at 15 minutes, settled by 60; drowsy (MOAA/S 4), settled by 80.",
    "other_adverse_events": "no",
}


def _center_build(
    center: TreatmentCenter, *, seed: int, now: dt.datetime, answers: dict[int, tuple[bool, bool, str]]
) -> int:
    """Build one center's sessions; fills ``answers`` with session pk -> the day-before answer."""
    rng = random.Random(f"{seed}-{center.slug}")
    staff = _staff(center)
    stories = _stories(center, now)
    days = {story.starts_at: demo_day(center, story.starts_at) for story in stories}
    days |= {story.tomorrow_too: demo_day(center, story.tomorrow_too) for story in stories if story.tomorrow_too}
    patients = list(Patient.objects.filter(center=center).order_by("mrn")[FIRST_PATIENT : FIRST_PATIENT + len(stories)])
    if len(patients) < len(stories):
        return 0
    chairs = list(Chair.objects.filter(room__center=center, room__kind=Room.Kind.TREATMENT, is_active=True))
    chairs.sort(key=lambda c: (c.room.name, c.label))
    today = now.astimezone(zoneinfo.ZoneInfo(center.time_zone)).date()
    sessions: list[TreatmentSession] = []
    weights: list[Decimal] = []
    for index, (story, patient) in enumerate(zip(stories, patients, strict=True)):
        weight = Decimal(rng.randrange(560, 1040)) / 10
        weights.append(weight)
        plan = _eligible_plan(
            staff=staff, patient=patient, protocol_key=story.protocol_key, weight_kg=weight, today=today
        )
        _consent(staff=staff, patient=patient, route=plan.route)
        if plan.route == TreatmentRoute.ESKETAMINE:
            rems_enrollment_record(
                actor=Actor.of(staff.desk), patient=patient, enrollment_reference=f"PT-{rng.randrange(1000, 9999)}",
                enrolled_on=today - dt.timedelta(days=rng.randrange(8, 20)),
            )  # fmt: skip
        # Two chairs are busy now, so the second has the prescriber as its nurse (one nurse per chair).
        nurse = staff.prescriber if index == 1 else staff.nurse
        booked_at = min(story.starts_at, now) - dt.timedelta(days=rng.randrange(3, 10))
        session = _session(
            plan=plan, chair=chairs[index % len(chairs)], nurse=nurse, starts_at=story.starts_at,
            booked_by=staff.desk, booked_at=booked_at,
        )  # fmt: skip
        _fit(session, days[story.starts_at])
        sessions.append(session)
        stories[index] = _story_so_far(story, starts_at=session.starts_at, now=now)
        if story.tomorrow_too is not None:
            later = _session(
                plan=plan, chair=chairs[(index + 1) % len(chairs)], nurse=staff.nurse, starts_at=story.tomorrow_too,
                booked_by=staff.desk, booked_at=booked_at,
            )  # fmt: skip
            _fit(later, days[story.tomorrow_too])
            later.number_in_series = 2
            sessions.append(later)
    for session, told in zip(sessions, _with_followups(stories), strict=True):
        if told is not None and told.timeline is not None and told.timeline.discharged is not None:
            session.status = TreatmentSession.Status.COMPLETED
    TreatmentSession.objects.bulk_create(sessions, recorded_by=SEED_AUTHOR)
    rows = Rows()
    lots = _lots(staff=staff, center=center, today=today)
    done: list[tuple[TreatmentSession, Story, DoseAdministration, list[VitalSign]]] = []
    for session, story, weight in _held(sessions, stories, weights):
        assert story.timeline is not None
        timeline = story.timeline
        scales = (("phq9", 9), ("gad7", 7))
        for code, items in scales:
            questionnaire_response_save(
                actor=Actor.of(session.nurse), patient=session.patient, instrument_code=code,
                answers={n: rng.choice((1, 2, 2, 3)) if n != 9 else 0 for n in range(1, items + 1)},
                source="staff", complete=True, administered_at=_at(session, 1),
            )  # fmt: skip
        readings = _readings(rng, staff=staff, session=session, timeline=timeline, alert_minute=story.alert_minute)
        rows.checks.append(_check(session, 6, readings[0]))
        verifier = staff.nurse if session.nurse == staff.prescriber else staff.prescriber
        dose = _dose(
            session=session,
            timeline=timeline,
            verifier=verifier,
            weight_kg=weight,
            lot=lots[session.plan.route],
        )
        if story.waste:
            dose.wasted_mg = dose.drawn_mg - (dose.given_mg or Decimal(0))
            dose.waste_witness, dose.waste_recorded_at = verifier, _at(session, (timeline.ended or 0) + 2)
        rows.doses.append(dose)
        done.append((session, story, dose, readings))
    PreSessionCheck.objects.bulk_create(rows.checks, recorded_by=SEED_AUTHOR)
    DoseAdministration.objects.bulk_create(rows.doses, recorded_by=SEED_AUTHOR)
    for dose in rows.doses:
        assert dose.lot is not None
        assert dose.units_drawn is not None
        stock_draw(actor=Actor.of(dose.prepared_by), lot=dose.lot, units=dose.units_drawn, dose=dose)
    for session, story, dose, readings in done:
        assert story.timeline is not None
        rows.events.extend(_events(session, dose, story.timeline))
        if story.timeline.discharged is not None:
            rows.discharges.append(_discharge(session, dose, readings, story.timeline.discharged))
    SessionEvent.objects.bulk_create(rows.events, recorded_by=SEED_AUTHOR)
    DischargeAssessment.objects.bulk_create(rows.discharges, recorded_by=SEED_AUTHOR)
    notes = []
    for session, story, _dose_row, _readings_list in done:
        if story.note:
            assert story.timeline is not None
            assert story.timeline.discharged is not None
            text = session_note_text(session=session)
            signed_at = _at(session, story.timeline.discharged + 8)
            notes.append(
                SessionNote(
                    session=session, text=text, status=SessionNote.Status.SIGNED, drafted_by=session.nurse,
                    drafted_at=signed_at - dt.timedelta(minutes=4), signed_by=session.nurse, signed_at=signed_at,
                    content_sha256=content_digest(
                        str(session.external_id), text, session.nurse.get_username(), signed_at.isoformat()
                    ),
                )
            )  # fmt: skip
    SessionNote.objects.bulk_create(notes, recorded_by=SEED_AUTHOR)
    for session, story, _dose_row, _readings_list in done:
        if story.rems:
            form = rems_form_open(actor=Actor.of(session.nurse), session=session)
            if story.rems == "submitted":
                form = rems_form_save(actor=Actor.of(session.nurse), form=form, values=REMS_NURSE_ANSWERS)
                form = rems_form_sign(actor=Actor.of(session.nurse), form=form, password=DEMO_PASSWORD)
                rems_form_submit(
                    actor=Actor.of(staff.desk), form=form, method="online", confirmation=f"RC-{rng.randrange(10**6)}"
                )
    for session, told in zip(sessions, _with_followups(stories), strict=True):
        if told is not None and told.answer is not None:
            answers[session.pk] = told.answer
    return len(sessions)


def _fit(session: TreatmentSession, day: ClinicDay) -> None:
    length = session.ends_at - session.starts_at
    session.starts_at = _within(day, session.starts_at, length)
    session.ends_at = session.starts_at + length


def _with_followups(stories: list[Story]) -> list[Story | None]:
    """The stories lined up with the sessions: a follow-up session has no story of its own."""
    lined: list[Story | None] = []
    for story in stories:
        lined.append(story)
        if story.tomorrow_too is not None:
            lined.append(None)
    return lined


def _held(
    sessions: list[TreatmentSession], stories: list[Story], weights: list[Decimal]
) -> list[tuple[TreatmentSession, Story, Decimal]]:
    """Sessions whose dose was given (or is running), with their story and the patient's weight."""
    firsts = [s for s, story in zip(sessions, _with_followups(stories), strict=True) if story is not None]
    return [
        (session, story, weight)
        for session, story, weight in zip(firsts, stories, weights, strict=True)
        if story.timeline is not None
    ]


def demo_sessions_build(*, centers: list[TreatmentCenter], seed: int) -> int:
    """Plans, sessions and their records around now at each center; returns sessions made."""
    now = timezone.now()
    made = 0
    answers: dict[int, tuple[bool, bool, str]] = {}
    with transaction.atomic():
        for center in centers:
            made += _center_build(center, seed=seed, now=now, answers=answers)
        # The day-before ask goes out for tomorrow's sessions; two of the patients answered.
        for confirmation in session_confirmations_queue(now=now):
            if confirmation.message is not None:
                outgoing_message_mark(confirmation.message, OutgoingMessage.Status.SENT)
            answer = answers.get(confirmation.session_id)
            if answer is not None:
                fasting, ride, comment = answer
                session_confirmation_answer(
                    confirmation=confirmation, fasting_confirmed=fasting, ride_confirmed=ride, comment=comment
                )
    return made
