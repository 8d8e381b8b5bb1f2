"""Booking treatment sessions from a signed plan, and recording what became of them."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ketaclinic.audit.actions import AuditAction
from ketaclinic.audit.services import audit_change_since, snapshot
from ketaclinic.clinics.actors import Actor
from ketaclinic.clinics.authorization import require
from ketaclinic.clinics.models import Chair, OpeningHours
from ketaclinic.core.dosing import PROTOCOL_DEFAULTS
from ketaclinic.core.errors import Conflict, RuleViolation
from ketaclinic.core.permissions import Perm
from ketaclinic.core.scheduling import Booking, Holder, OpenHours, conflict, frequency_conflict, session_length
from ketaclinic.patients.models import Patient, TreatmentRoute
from ketaclinic.sessions.models import RemsEnrollment, TreatmentSession
from ketaclinic.treatment.models import TreatmentPlan
from ketaclinic.treatment.services import plan_current
from ketaclinic.validation import validated

# How far a session that cannot go on its planned day may move later, looking for a free slot.
MAX_SHIFT_DAYS = 7


def dosing_minutes(plan: TreatmentPlan) -> int:
    """Minutes of dosing before observation starts: the infusion time, or the device rests."""
    protocol = PROTOCOL_DEFAULTS.get(plan.protocol_key)
    if protocol is None:
        return 15
    names = {setting.name for setting in protocol.settings}
    if "infusion_minutes" in names:
        return int(protocol.decimal("infusion_minutes"))
    if "rest_minutes_between_devices" in names and plan.fixed_dose_mg and "device_mg" in names:
        devices = int(plan.fixed_dose_mg / protocol.decimal("device_mg"))
        return int(protocol.decimal("rest_minutes_between_devices")) * max(devices - 1, 0) + 5
    return 15


def _too_frequent(*, plan: TreatmentPlan, starts_at: dt.datetime, zone: zoneinfo.ZoneInfo) -> str | None:
    """The protocol's sessions-a-week rule by week of the course (protocols.md 4), or None.

    The course is the patient's sessions by this route (switching between a route's protocols,
    e.g. esketamine TRD to MDSI, does not restart it) under the plan versions signed since the
    last version that ended a course, so a re-induction starts a new one. Cancelled and missed
    sessions do not count.
    """
    protocol = PROTOCOL_DEFAULTS.get(plan.protocol_key)
    if protocol is None or not protocol.frequency:
        return None
    last_ended = (
        TreatmentPlan.objects.in_use()
        .filter(patient_id=plan.patient_id, phase=TreatmentPlan.Phase.ENDED)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    course = (
        TreatmentSession.objects.in_use()
        .filter(patient_id=plan.patient_id, plan__route=plan.route)
        .exclude(status__in=[TreatmentSession.Status.CANCELLED, TreatmentSession.Status.NO_SHOW])
    )
    if last_ended is not None:
        course = course.filter(plan__version__gt=last_ended)
    starts = course.values_list("starts_at", flat=True)
    return frequency_conflict(
        on=starts_at.astimezone(zone).date(),
        course_days=[start.astimezone(zone).date() for start in starts],
        rules=protocol.frequency,
    )


def _reason_against(
    *, plan: TreatmentPlan, chair: Chair, nurse: Any, starts_at: dt.datetime, ends_at: dt.datetime
) -> tuple[str, str] | None:
    """Why a session cannot go here, with its code, or None."""
    window = (
        starts_at - dt.timedelta(days=plan.min_spacing_days + 1),
        ends_at + dt.timedelta(days=plan.min_spacing_days + 1),
    )
    active = (
        TreatmentSession.objects.in_use()
        .exclude(status__in=[TreatmentSession.Status.CANCELLED, TreatmentSession.Status.NO_SHOW])
        .filter(starts_at__lt=window[1], ends_at__gt=window[0])
    )
    bookings, doses = [], []
    for session in active.filter(chair=chair) | active.filter(nurse=nurse) | active.filter(patient_id=plan.patient_id):
        if session.chair_id == chair.pk:
            bookings.append(Booking(Holder.CHAIR, session.starts_at, session.ends_at))
        if session.nurse_id == nurse.pk:
            bookings.append(Booking(Holder.NURSE, session.starts_at, session.ends_at))
        if session.patient_id == plan.patient_id:
            bookings.append(Booking(Holder.PATIENT, session.starts_at, session.ends_at))
            doses.append(session.starts_at)
    center = chair.room.center
    zone = zoneinfo.ZoneInfo(center.time_zone)
    hours = [OpenHours(h.weekday, h.opens_at, h.closes_at) for h in OpeningHours.objects.filter(center=center)]
    reason = conflict(
        starts_at=starts_at,
        ends_at=ends_at,
        bookings=bookings,
        patient_doses=doses,
        min_spacing_days=plan.min_spacing_days,
        hours=hours,
        local_start=starts_at.astimezone(zone),
        local_end=ends_at.astimezone(zone),
    )
    if reason is not None:
        return reason, "slot_taken"
    too_frequent = _too_frequent(plan=plan, starts_at=starts_at, zone=zone)
    return None if too_frequent is None else (too_frequent, "too_frequent")


# A plan in one of these phases books nothing: the course is paused or over (sessions/services/plans.py
# refuses to dose under them for the same reason).
_NOT_BOOKING = {
    TreatmentPlan.Phase.ENDED: ("course_ended", gettext_lazy("ended the course")),
    TreatmentPlan.Phase.ON_HOLD: ("course_on_hold", gettext_lazy("put the course on hold")),
}


def _plan_bookable(*, plan: TreatmentPlan, patient: Patient) -> None:
    """Refuse a plan that is not the patient's current signed version, or whose course is paused or over.

    Asked afresh under the patient's row lock (signing a plan takes it too), never from the
    plan instance the caller holds, which may have been read before a new version was signed.
    """
    current = plan_current(patient=patient)
    if current is None or current.pk != plan.pk:
        raise RuleViolation(
            _("Plan v%(old)s is no longer the current plan (the current one is %(current)s): book from it.")
            % {"old": plan.version, "current": f"v{current.version}" if current else _("none")},
            code="plan_not_current",
        )
    stop = _NOT_BOOKING.get(TreatmentPlan.Phase(current.phase))
    if stop is not None:
        raise RuleViolation(
            _("Plan v%(v)s %(what)s: no session can be booked until a prescriber signs a new version.")
            % {"v": current.version, "what": stop[1]},
            code=stop[0],
        )


@transaction.atomic
def treatment_series_book(
    *,
    actor: Actor,
    plan: TreatmentPlan,
    chair: Chair,
    nurse: Any,
    first_starts_at: dt.datetime,
    count: int | None = None,
) -> list[TreatmentSession]:
    """Book the plan's sessions from the first date on, spaced by the plan's rule.

    A session that cannot go on its day (chair, nurse, patient, spacing or opening hours) moves
    to the next day that works, up to a week; the first session is never moved: its reason is
    returned to the person booking.
    """
    patient = Patient.objects.select_for_update().select_related("center").get(pk=plan.patient_id)
    require(actor, Perm.SESSION_BOOK, center_id=patient.center_id)
    _plan_bookable(plan=plan, patient=patient)
    if plan.route == TreatmentRoute.ESKETAMINE and not RemsEnrollment.objects.in_use().filter(patient=patient).exists():
        # rems.md: each patient is enrolled in the REMS before the first esketamine treatment.
        raise RuleViolation(
            _("Esketamine cannot be booked: the patient's REMS enrollment is not on file."), code="rems_not_enrolled"
        )
    chair = Chair.objects.select_related("room__center").get(pk=chair.pk)
    if chair.room.center_id != patient.center_id or not chair.is_active:
        raise RuleViolation(_("Choose a chair at the patient's center."), code="chair_elsewhere", field="chair")
    if nurse is None or not Actor.of(nurse).can(Perm.RISK_ALERT_ACKNOWLEDGE, center_id=patient.center_id):
        raise RuleViolation(_("Choose a nurse or prescriber of this center."), code="not_clinical", field="nurse")
    if first_starts_at <= timezone.now():
        raise RuleViolation(_("Choose a time in the future."), code="booking_in_past", field="starts_at")
    length = session_length(dosing_minutes=dosing_minutes(plan), observation_minutes=plan.min_observation_minutes)
    already = TreatmentSession.objects.in_use().filter(plan__patient_id=patient.pk).count()
    booked: list[TreatmentSession] = []
    planned_at = first_starts_at
    for number in range(1, (count or plan.planned_sessions) + 1):
        starts_at, reason = planned_at, None
        for shift in range(MAX_SHIFT_DAYS + 1):
            starts_at = planned_at + dt.timedelta(days=shift)
            reason = _reason_against(
                plan=plan, chair=chair, nurse=nurse, starts_at=starts_at, ends_at=starts_at + length
            )
            if reason is None or number == 1:
                break
        if reason is not None:
            text, code = reason
            message = _("Session %(n)s cannot be booked: %(reason)s.") % {"n": number, "reason": text}
            if code == "too_frequent":
                raise RuleViolation(message, code=code, field="first_starts_at")
            raise Conflict(message, code=code)
        session = TreatmentSession(
            patient=patient,
            plan=plan,
            chair=chair,
            nurse=nurse,
            number_in_series=already + number,
            starts_at=starts_at,
            ends_at=starts_at + length,
            booked_by=actor.user,
            booked_at=timezone.now(),
        )
        validated(session)
        session.save()
        audit_change_since(actor=actor, instance=session, action=AuditAction.TREATMENT_SESSION_BOOKED, before={})
        booked.append(session)
        planned_at = starts_at + dt.timedelta(days=plan.min_spacing_days)
    return booked


# Closing a session records whether it was cancelled or missed.
_CLOSE_ACTIONS: dict[str, AuditAction] = {
    TreatmentSession.Status.CANCELLED: AuditAction.TREATMENT_SESSION_CANCELLED,
    TreatmentSession.Status.NO_SHOW: AuditAction.TREATMENT_SESSION_NO_SHOW,
}


@transaction.atomic
def treatment_session_close(*, actor: Actor, session: TreatmentSession, status: str, reason: str) -> TreatmentSession:
    """Cancel a session or mark it missed; the row stays, with why."""
    require(actor, Perm.SESSION_BOOK, center_id=session.patient.center_id)
    if status not in (TreatmentSession.Status.CANCELLED, TreatmentSession.Status.NO_SHOW):
        raise RuleViolation(_("Choose cancelled or did not attend."), code="bad_status", field="status")
    if not reason.strip():
        raise RuleViolation(_("Say why."), code="reason_required", field="reason")
    session = TreatmentSession.objects.select_for_update().select_related("patient").get(pk=session.pk)
    if session.status != TreatmentSession.Status.SCHEDULED:
        raise Conflict(_("Only a scheduled session can be cancelled or marked missed."), code="not_scheduled")
    before = snapshot(session)
    session.status, session.status_reason = status, reason.strip()
    session.save()
    audit_change_since(actor=actor, instance=session, action=_CLOSE_ACTIONS[status], before=before, reason=reason)
    return session
