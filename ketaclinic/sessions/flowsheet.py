"""The chair-side flowsheet: readings by hand or monitor, what is due, and the chair board."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from ketaclinic.audit.services import audit_change_since
from ketaclinic.clinics.authorization import center_ids_for, require
from ketaclinic.core.errors import NotFound, RuleViolation
from ketaclinic.core.monitoring import MEASURES, THRESHOLDS, implausible
from ketaclinic.core.permissions import Perm
from ketaclinic.patients.models import Allergy, PatientAlert
from ketaclinic.sessions.ingestion import session_baseline, session_pre_dose, vital_sign_store
from ketaclinic.sessions.models import (
    DischargeAssessment,
    DoseAdministration,
    SessionEvent,
    SessionNote,
    TreatmentSession,
    VitalSign,
)
from ketaclinic.sessions.selectors import PostDoseBloodPressure, post_dose_blood_pressure

# A due reading is flagged late after this grace (project default).
LATE_AFTER = dt.timedelta(minutes=2)
# How long before its booked start a reading or an intervention can still belong to a session
# (an early arrival's pre-dose vitals); anything earlier is a typing slip (project default).
SESSION_LEAD_TIME = dt.timedelta(hours=2)


def vital_sign_record(
    *, actor: Any, session: TreatmentSession, values: dict[str, Any], measured_at: dt.datetime | None = None
) -> VitalSign:
    """A nurse enters a set of readings by hand; each is checked against the thresholds."""
    require(actor, Perm.VITALS_RECORD, center_id=session.patient.center_id)
    side_effects = (values.get("side_effects") or "").strip()
    values = {m: values.get(m) for m in MEASURES}
    if all(value is None for value in values.values()) and not side_effects:
        raise RuleViolation(_("Enter at least one reading."), code="empty_reading")
    bad = implausible(values)
    if bad:
        raise RuleViolation(_("These values cannot be right: %(f)s.") % {"f": ", ".join(bad)}, code="bad_reading")
    measured_at = measured_at or timezone.now()
    if measured_at > timezone.now() + dt.timedelta(minutes=1):
        raise RuleViolation(_("A reading cannot be in the future."), code="reading_in_future")
    if measured_at < session.starts_at - SESSION_LEAD_TIME:
        raise RuleViolation(
            _("A reading must be from this session, not more than 2 hours before it starts."),
            code="reading_before_session",
        )
    sign = vital_sign_store(
        session=session,
        values=values,
        measured_at=measured_at,
        baseline=session_baseline(session),
        pre_dose=session_pre_dose(session),
        key=f"hand-{uuid.uuid4()}",
        source=VitalSign.Source.HAND,
        recorded_by=actor,
        side_effects=side_effects,
    )
    assert sign is not None  # a fresh key cannot collide
    audit_change_since(actor=actor, instance=sign, action="vital_sign.recorded", before={})
    return sign


@dataclass(frozen=True, slots=True)
class Flowsheet:
    session: TreatmentSession
    readings: list[VitalSign]
    next_due_at: dt.datetime | None
    is_late: bool
    open_alerts: list[str]
    dose: DoseAdministration | None
    withdrawn_doses: list[DoseAdministration]
    events: list[SessionEvent]
    discharge: DischargeAssessment | None
    note: SessionNote | None
    post_dose_bp: PostDoseBloodPressure | None = None


def _due(session: TreatmentSession, readings: list[VitalSign], now: dt.datetime) -> tuple[dt.datetime | None, bool]:
    """When the next reading is due: the plan's interval, sooner after an alert; none once closed."""
    if session.status != TreatmentSession.Status.SCHEDULED:
        return None, False
    last = readings[-1].measured_at if readings else session.starts_at
    alerted = bool(readings and readings[-1].alerts)
    minutes = THRESHOLDS.recheck_after_alert_minutes if alerted else session.plan.monitoring_interval_minutes
    due = last + dt.timedelta(minutes=minutes)
    return due, now > due + LATE_AFTER


def flowsheet_get(*, actor: Any, session_id: Any) -> Flowsheet:
    """One session's record in time order, with when the next reading is due (bounded queries)."""
    try:
        session = (
            TreatmentSession.objects.in_use()
            .filter(patient__center_id__in=center_ids_for(actor, Perm.SESSION_VIEW))
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
    due, late = _due(session, readings, timezone.now())
    alerts = [alert for reading in readings[-3:] for alert in reading.alerts]
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
        open_alerts=alerts,
        dose=dose,
        withdrawn_doses=[d for d in doses if d.entered_in_error_at is not None],
        events=events,
        discharge=discharge,
        note=note,
        post_dose_bp=post_dose_blood_pressure(session=session, dose=dose, readings=readings, now=timezone.now()),
    )


@dataclass(frozen=True, slots=True)
class ChairLine:
    session: TreatmentSession
    minutes_since_dose: int | None
    stage: str
    next_due_at: dt.datetime | None
    is_late: bool
    alert_count: int


def _stage(dose: DoseAdministration | None) -> str:
    """Where the patient is in the session, in the words on the board."""
    if dose is None:
        return str(_("before the dose"))
    if dose.status in (DoseAdministration.Status.COMPLETED, DoseAdministration.Status.STOPPED):
        return str(_("in observation"))
    return str(dose.get_status_display()).lower()


def chair_board(*, actor: Any, center_id: int) -> list[ChairLine]:
    """Every session in a chair now at the center: who, how long, what is due, open alerts."""
    if center_id not in center_ids_for(actor, Perm.SESSION_VIEW):
        raise NotFound(_("Center not found."), code="center_not_found")
    now = timezone.now()
    sessions = (
        TreatmentSession.objects.in_use()
        .filter(
            patient__center_id=center_id,
            status=TreatmentSession.Status.SCHEDULED,
            starts_at__lte=now,
            ends_at__gte=now - dt.timedelta(minutes=30),
        )
        .select_related("patient", "plan", "chair")
        .prefetch_related(
            Prefetch("vital_signs", queryset=VitalSign.objects.in_use().order_by("measured_at"), to_attr="readings"),
            Prefetch("doses", queryset=DoseAdministration.objects.in_use(), to_attr="dose_list"),
        )
        .order_by("chair__label")
    )
    lines = []
    for session in sessions:
        readings: list[VitalSign] = session.readings
        due, late = _due(session, readings, now)
        dose = next(iter(session.dose_list), None)
        started = dose.started_at if dose else None
        lines.append(
            ChairLine(
                session=session,
                minutes_since_dose=int((now - started).total_seconds() // 60) if started else None,
                stage=_stage(dose),
                next_due_at=due,
                is_late=late,
                alert_count=sum(1 for r in readings[-3:] if r.alerts),
            )
        )
    return lines
