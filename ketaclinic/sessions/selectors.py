from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from uuid import UUID

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from ketaclinic.accounts.models import User
from ketaclinic.clinics.authorization import center_ids_for
from ketaclinic.clinics.models import Chair, Room, StaffRole, TreatmentCenter
from ketaclinic.core.errors import NotFound
from ketaclinic.core.permissions import Perm, Role
from ketaclinic.sessions.models import (
    DoseAdministration,
    PreSessionCheck,
    SessionConfirmation,
    TreatmentSession,
    VitalSign,
)
from ketaclinic.sessions.plans import protocol_setting


def day_bounds(*, center: TreatmentCenter, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The center's local day as UTC instants."""
    zone = zoneinfo.ZoneInfo(center.time_zone)
    start = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
    return start, start + dt.timedelta(days=1)


class CalendarBy(StrEnum):
    CHAIR = "chair"
    STAFF = "staff"


@dataclass(slots=True)
class CalendarRow:
    """One chair or one staff member, with their sessions on each day shown."""

    label: str
    detail: str
    days: list[list[TreatmentSession]]


def center_calendar(
    *, actor: Any, center: TreatmentCenter, first_day: dt.date, days: int, by: CalendarBy
) -> list[CalendarRow]:
    """The center's sessions over some days, by chair or by the nurse in charge.

    Three queries however full the calendar; each session carries ``day_confirmations`` (the
    day-before answers, newest first). Every active chair or nurse has a row, busy or not.
    """
    if center.pk not in center_ids_for(actor, Perm.SESSION_VIEW):
        raise NotFound(_("Center not found."), code="center_not_found")
    start, _end = day_bounds(center=center, day=first_day)
    _start, end = day_bounds(center=center, day=first_day + dt.timedelta(days=days - 1))
    confirmations = SessionConfirmation.objects.select_related("message").order_by("-created_at")
    sessions = (
        TreatmentSession.objects.in_use()
        .filter(chair__room__center=center, starts_at__gte=start, starts_at__lt=end)
        .select_related("patient", "nurse", "plan", "chair__room")
        .prefetch_related(Prefetch("confirmations", queryset=confirmations, to_attr="day_confirmations"))
        .order_by("starts_at")
    )
    rows: dict[int, CalendarRow] = {}
    if by == CalendarBy.CHAIR:
        for chair in center_chairs(center_id=center.pk).order_by("room__name", "label"):
            rows[chair.pk] = CalendarRow(chair.label, chair.room.name, [[] for _day in range(days)])
    else:
        for nurse in center_nurses(center_id=center.pk):
            rows[nurse.pk] = CalendarRow(str(nurse), "", [[] for _day in range(days)])
    for session in sessions:
        key = session.chair_id if by == CalendarBy.CHAIR else session.nurse_id
        if key not in rows:  # a chair since retired, or a nurse who has left: their sessions still show
            holder = session.chair if by == CalendarBy.CHAIR else session.nurse
            rows[key] = CalendarRow(str(holder), _("no longer active"), [[] for _day in range(days)])
        rows[key].days[(center.local_date(session.starts_at) - first_day).days].append(session)
    return list(rows.values())


def session_get(*, actor: Any, session_id: UUID | str) -> TreatmentSession:
    try:
        return (
            TreatmentSession.objects.in_use()
            .filter(patient__center_id__in=center_ids_for(actor, Perm.SESSION_VIEW))
            .select_related("patient", "chair")
            .get(external_id=session_id)
        )
    except (TreatmentSession.DoesNotExist, ValueError):
        raise NotFound(_("Session not found."), code="session_not_found") from None


def sessions_for_patient(*, actor: Any, patient: Any) -> list[TreatmentSession]:
    return list(
        TreatmentSession.objects.in_use()
        .filter(patient_id=patient.pk)
        .select_related("chair", "nurse")
        .order_by("starts_at")
    )


def center_chairs(*, center_id: int) -> QuerySet[Chair]:
    return Chair.objects.filter(
        room__center_id=center_id, is_active=True, room__kind=Room.Kind.TREATMENT
    ).select_related("room")


def center_nurses(*, center_id: int) -> QuerySet[User]:
    staff = StaffRole.objects.filter(center_id=center_id, role__in=[Role.NURSE, Role.PRESCRIBER], is_active=True)
    return User.objects.filter(pk__in=staff.values("user_id"), is_active=True).order_by("last_name", "first_name")


def center_prescribers(*, center_id: int) -> QuerySet[User]:
    staff = StaffRole.objects.filter(center_id=center_id, role=Role.PRESCRIBER, is_active=True)
    return User.objects.filter(pk__in=staff.values("user_id"), is_active=True).order_by("last_name", "first_name")


def latest_check(*, session: TreatmentSession) -> PreSessionCheck | None:
    return PreSessionCheck.objects.in_use().filter(session=session).order_by("-checked_at", "-pk").first()


def latest_confirmations(*, session: TreatmentSession) -> list[SessionConfirmation]:
    """The newest day-before confirmation of a session, as a list like the day view's prefetch."""
    return list(
        SessionConfirmation.objects.filter(session=session).select_related("message").order_by("-created_at")[:1]
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
