"""The chair-side flowsheet as read: one session's record in time order, what is due, the post-dose BP."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from ketaclinic.clinics.actors import Actor
from ketaclinic.core.errors import NotFound
from ketaclinic.core.monitoring import THRESHOLDS
from ketaclinic.core.permissions import Perm
from ketaclinic.patients.models import Allergy, PatientAlert
from ketaclinic.patients.selectors.scoping import patient_records_scope
from ketaclinic.sessions.models import (
    DischargeAssessment,
    DoseAdministration,
    ReadingAlert,
    SessionEvent,
    SessionNote,
    TreatmentSession,
    VitalSign,
)
from ketaclinic.sessions.protocol_settings import protocol_setting

# A due reading is flagged late after this grace (project default).
LATE_AFTER = dt.timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class FlowsheetAlert:
    """An alert as the flowsheet lists it, with the reading that raised it and its place there."""

    reading: VitalSign
    position: int
    alert: ReadingAlert


@dataclass(frozen=True, slots=True)
class Flowsheet:
    session: TreatmentSession
    readings: list[VitalSign]
    next_due_at: dt.datetime | None
    is_late: bool
    # The last three readings' alerts, whatever their state, and any older one not yet resolved.
    alerts: list[FlowsheetAlert]
    dose: DoseAdministration | None
    withdrawn_doses: list[DoseAdministration]
    events: list[SessionEvent]
    discharge: DischargeAssessment | None
    note: SessionNote | None
    post_dose_bp: PostDoseBloodPressure | None = None


def next_reading_due(
    session: TreatmentSession, readings: list[VitalSign], now: dt.datetime
) -> tuple[dt.datetime | None, bool]:
    """When the next reading is due: the plan's interval, sooner after an alert; none once closed.

    Counted from the last reading taken by ``now``: a reading dated ahead (a monitor's clock
    set wrong, stored before times were checked) never puts the next one off or silences "late".
    """
    if session.status != TreatmentSession.Status.SCHEDULED:
        return None, False
    taken = [reading for reading in readings if reading.measured_at <= now]
    last = taken[-1].measured_at if taken else session.starts_at
    alerted = bool(taken and taken[-1].alerts)
    minutes = THRESHOLDS.recheck_after_alert_minutes if alerted else session.plan.monitoring_interval_minutes
    due = last + dt.timedelta(minutes=minutes)
    return due, now > due + LATE_AFTER


def flowsheet_get(*, actor: Actor, perm: Perm, session_id: Any) -> Flowsheet:
    """One session's record in time order, with when the next reading is due (bounded queries)."""
    try:
        session = (
            TreatmentSession.objects.in_use()
            .filter(patient_records_scope(actor=actor, perm=perm))
            .select_related("patient__center", "plan", "chair", "nurse", "note__signed_by")
            # The patient banner: allergies and open alerts where the dose is given.
            .prefetch_related(
                Prefetch(
                    "patient__allergies",
                    queryset=Allergy.objects.in_use().order_by("substance"),
                    to_attr="current_allergies",
                ),
                Prefetch(
                    "patient__alerts",
                    queryset=PatientAlert.objects.in_use().filter(resolved_at__isnull=True).order_by("-raised_at"),
                    to_attr="open_alerts",
                ),
            )
            .get(external_id=session_id)
        )
    except (TreatmentSession.DoesNotExist, ValueError):
        raise NotFound(_("Session not found."), code="session_not_found") from None
    readings = list(
        VitalSign.objects.in_use()
        .filter(session=session)
        .select_related("device", "recorded_by")
        .order_by("measured_at")
    )
    due, late = next_reading_due(session, readings, timezone.now())
    recent = readings[-3:]
    alerts = [
        FlowsheetAlert(reading=reading, position=position, alert=alert)
        for reading in readings
        for position, alert in enumerate(reading.reading_alerts)
        if reading in recent or not alert.is_resolved
    ]
    # All doses in one query: the live one, and any withdrawn (entered in error) for the record.
    doses = list(
        DoseAdministration.objects.filter(session=session)
        .select_related("prepared_by", "verified_by", "waste_witness")
        .order_by("prepared_at")
    )
    dose = next((d for d in doses if d.entered_in_error_at is None), None)
    events = list(SessionEvent.objects.in_use().filter(session=session).select_related("ordered_by", "recorded_by"))
    discharge = DischargeAssessment.objects.in_use().filter(session=session).select_related("assessed_by").first()
    note: SessionNote | None = getattr(session, "note", None)
    if note is not None:
        note.amendment_list = list(note.amendments.in_use().select_related("signed_by"))  # type: ignore[attr-defined]
    return Flowsheet(
        session=session,
        readings=readings,
        next_due_at=due,
        is_late=late,
        alerts=alerts,
        dose=dose,
        withdrawn_doses=[d for d in doses if d.entered_in_error_at is not None],
        events=events,
        discharge=discharge,
        note=note,
        post_dose_bp=post_dose_blood_pressure(session=session, dose=dose, readings=readings, now=timezone.now()),
    )


@dataclass(frozen=True, slots=True)
class PostDoseBloodPressure:
    """The protocol's BP reading at a set time after the dose (esketamine: about 40 minutes)."""

    minutes: int
    due_at: dt.datetime
    tolerance_minutes: int
    reading: VitalSign | None
    is_missed: bool


def _minutes(session: TreatmentSession, name: str) -> int | None:
    value = (protocol_setting(session.plan, name) or {}).get("value")
    return None if value in (None, "") else int(str(value).split(".")[0])


def post_dose_blood_pressure(
    *, session: TreatmentSession, dose: DoseAdministration | None, readings: list[VitalSign], now: dt.datetime
) -> PostDoseBloodPressure | None:
    """When the post-dose BP is due, the reading that answers it, and whether it was missed.

    protocols.md 4: esketamine raises BP most about 40 minutes after dosing; the label asks for
    a reassessment then, and the REMS form for the BP 40 minutes after administration.
    """
    minutes = _minutes(session, "post_dose_bp_check_minutes")
    if minutes is None or dose is None or dose.started_at is None:
        return None
    tolerance = dt.timedelta(minutes=_minutes(session, "post_dose_bp_check_tolerance_minutes") or 0)
    due_at = dose.started_at + dt.timedelta(minutes=minutes)
    near = [
        r
        for r in readings
        if r.systolic_mmhg is not None and r.diastolic_mmhg is not None and abs(r.measured_at - due_at) <= tolerance
    ]
    reading = min(near, key=lambda r: abs(r.measured_at - due_at)) if near else None
    return PostDoseBloodPressure(
        minutes=minutes,
        due_at=due_at,
        tolerance_minutes=int(tolerance.total_seconds() // 60),
        reading=reading,
        is_missed=reading is None and now > due_at + tolerance,
    )
