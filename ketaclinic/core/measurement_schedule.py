"""When a patient should answer which questionnaire, from the dates of their treatment course.

The cadence is measures.md's measurement-based-care schedule: a baseline, before each
treatment session, the day after the first session, weekly through the induction series and
monthly in maintenance. The grace periods before an item counts as overdue are project
defaults a clinic may change.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

SCHEDULE_RULE_VERSION = "schedule-2026.1"


class DueKind(StrEnum):
    BASELINE = "baseline"
    PRE_SESSION = "pre_session"
    DAY_AFTER_FIRST = "day_after_first"
    INDUCTION_WEEKLY = "induction_weekly"
    MAINTENANCE_MONTHLY = "maintenance_monthly"


@dataclass(frozen=True, slots=True)
class ScheduleSettings:
    """Project defaults; every value is clinic-configurable."""

    overdue_after_days: tuple[tuple[DueKind, int], ...] = (
        (DueKind.BASELINE, 7),
        (DueKind.PRE_SESSION, 0),
        (DueKind.DAY_AFTER_FIRST, 1),
        (DueKind.INDUCTION_WEEKLY, 3),
        (DueKind.MAINTENANCE_MONTHLY, 7),
    )
    maintenance_months: int = 12

    def grace_days(self, kind: DueKind) -> int:
        return dict(self.overdue_after_days)[kind]


@dataclass(frozen=True, slots=True)
class CourseDates:
    baseline_on: dt.date
    session_dates: tuple[dt.date, ...] = ()
    maintenance_starts_on: dt.date | None = None


@dataclass(frozen=True, slots=True)
class ScheduledMeasurement:
    instrument_code: str
    kind: DueKind
    due_on: dt.date
    overdue_after_days: int


def _add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    # The same day of the month, or the month's last day when it is shorter (31 Jan -> 28 Feb).
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def measurement_schedule(
    *, instruments: Sequence[str], course: CourseDates, settings: ScheduleSettings | None = None
) -> list[ScheduledMeasurement]:
    """Every due date for every instrument, in date order, without duplicates on one day."""
    settings = settings or ScheduleSettings()
    sessions = sorted(course.session_dates)
    if sessions and sessions[0] < course.baseline_on:
        raise ValueError("The first treatment session cannot come before the baseline.")
    plan: list[tuple[DueKind, dt.date]] = [(DueKind.BASELINE, course.baseline_on)]
    plan += [(DueKind.PRE_SESSION, day) for day in sessions]
    if sessions:
        plan.append((DueKind.DAY_AFTER_FIRST, sessions[0] + dt.timedelta(days=1)))
        week = sessions[0] + dt.timedelta(days=7)
        while week <= sessions[-1]:
            plan.append((DueKind.INDUCTION_WEEKLY, week))
            week += dt.timedelta(days=7)
    if course.maintenance_starts_on is not None:
        plan += [
            (DueKind.MAINTENANCE_MONTHLY, _add_months(course.maintenance_starts_on, month))
            for month in range(settings.maintenance_months)
        ]
    seen: set[dt.date] = set()
    scheduled = []
    for kind, day in sorted(plan, key=lambda entry: entry[1]):
        # A questionnaire already due that day (say before a session) covers the weekly one.
        if day in seen:
            continue
        seen.add(day)
        scheduled += [ScheduledMeasurement(code, kind, day, settings.grace_days(kind)) for code in instruments]
    return scheduled


def is_overdue(*, due_on: dt.date, overdue_after_days: int, today: dt.date) -> bool:
    return today > due_on + dt.timedelta(days=overdue_after_days)
