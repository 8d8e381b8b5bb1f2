"""The center's calendar: sessions over some days, by chair or by the nurse in charge, in local days."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from enum import StrEnum

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from ketaclinic.clinics.actors import Actor
from ketaclinic.clinics.models import TreatmentCenter
from ketaclinic.core.errors import NotFound
from ketaclinic.core.permissions import Perm
from ketaclinic.sessions.models import (
    SessionConfirmation,
    TreatmentSession,
)
from ketaclinic.sessions.selectors.center import center_chairs, center_nurses


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
    *, actor: Actor, center: TreatmentCenter, first_day: dt.date, days: int, by: CalendarBy
) -> list[CalendarRow]:
    """The center's sessions over some days, by chair or by the nurse in charge.

    Three queries however full the calendar; each session carries ``day_confirmations`` (the
    day-before answers, newest first). Every active chair or nurse has a row, busy or not.
    """
    if not actor.can(Perm.SESSION_VIEW, center_id=center.pk):
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
