"""Placing treatment sessions: length, overlaps and the minimum interval between doses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from typing import Final

import yaml


class Holder(StrEnum):
    CHAIR = "chair"
    NURSE = "nurse"
    PATIENT = "patient"


@dataclass(frozen=True, slots=True)
class Booking:
    """A session already on the books, as the conflict check sees it."""

    holder: Holder
    starts_at: dt.datetime
    ends_at: dt.datetime


@dataclass(frozen=True, slots=True)
class OpenHours:
    weekday: int  # Monday = 0
    opens_at: dt.time
    closes_at: dt.time


def session_length(*, dosing_minutes: int, observation_minutes: int) -> dt.timedelta:
    """How long the chair is taken: the dose itself, then the protocol's minimum observation."""
    if dosing_minutes < 0 or observation_minutes <= 0:
        raise ValueError("Dosing time cannot be negative and observation must be positive.")
    return dt.timedelta(minutes=dosing_minutes + observation_minutes)


def conflict(
    *,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    bookings: Iterable[Booking],
    patient_doses: Iterable[dt.datetime],
    min_spacing_days: int,
    hours: Sequence[OpenHours] = (),
    local_start: dt.datetime | None = None,
    local_end: dt.datetime | None = None,
) -> str | None:
    """The first reason a session cannot go here, in plain words, or None when it can."""
    if hours and local_start is not None and local_end is not None:
        day = [h for h in hours if h.weekday == local_start.weekday()]
        if not any(
            h.opens_at <= local_start.time()
            and local_end.time() <= h.closes_at
            and local_start.date() == local_end.date()
            for h in day
        ):
            return "the center is closed for part of that time"
    for booking in bookings:
        if booking.starts_at < ends_at and starts_at < booking.ends_at:
            return {
                Holder.CHAIR: "the chair is taken then",
                Holder.NURSE: "the nurse is with another patient then",
                Holder.PATIENT: "the patient already has a session then",
            }[booking.holder]
    for dose_at in patient_doses:
        if abs((dose_at.date() - starts_at.date()).days) < min_spacing_days:
            return f"doses must be at least {min_spacing_days} days apart under the plan"
    return None


@dataclass(frozen=True, slots=True)
class FrequencyRule:
    """At most ``max_sessions_per_week`` sessions in each week from ``from_week`` to ``to_week``.

    Weeks count from the course's first session: week 1 is its day and the six after it.
    ``to_week`` None means the rule runs on with no end.
    """

    from_week: int
    to_week: int | None
    max_sessions_per_week: int
    basis: str
    source: str

    def covers(self, week: int) -> bool:
        return self.from_week <= week and (self.to_week is None or week <= self.to_week)


@dataclass(frozen=True, slots=True)
class RollingWindow:
    """No ``days - tolerance_days`` consecutive days may hold more sessions than a week allows."""

    days: int
    tolerance_days: int
    basis: str
    source: str

    @property
    def length_days(self) -> int:
        return self.days - self.tolerance_days


def rolling_window_load(text: str) -> RollingWindow:
    """Read rules/booking_frequency.yaml."""
    raw = yaml.safe_load(text)["rolling_window"]
    window = RollingWindow(
        days=int(raw["days"]),
        tolerance_days=int(raw["tolerance_days"]),
        basis=str(raw["basis"]),
        source=str(raw["source"]),
    )
    if not 0 <= window.tolerance_days < window.days:
        raise ValueError("booking_frequency.yaml: the tolerance must be shorter than the window.")
    return window


ROLLING_WINDOW: Final = rolling_window_load(
    resources.files("ketaclinic.core").joinpath("rules/booking_frequency.yaml").read_text("utf-8")
)


def course_week(*, first_on: dt.date, on: dt.date) -> int:
    """The week of the course a day falls in (1 for the first seven days)."""
    return (on - first_on).days // 7 + 1


def frequency_conflict(
    *,
    on: dt.date,
    course_days: Iterable[dt.date],
    rules: Sequence[FrequencyRule],
    window: RollingWindow = ROLLING_WINDOW,
) -> str | None:
    """Why one more session on ``on`` is too frequent for the protocol, or None.

    ``course_days`` are the local days of the course's sessions that count (not cancelled or
    missed); the course starts at the earliest of them and ``on``. Both the label's weeks and
    every rolling ``window`` around ``on`` must have room for it.
    """
    days = list(course_days)
    if not rules:
        return None
    first_on = min([*days, on])
    # A session booked before the course's first moves the start of every week.
    week = course_week(first_on=first_on, on=on)
    rule = next((r for r in rules if r.covers(week)), None)
    if rule is None:
        return None
    week_start = first_on + dt.timedelta(days=(week - 1) * 7)
    week_end = week_start + dt.timedelta(days=7)
    in_week = sum(1 for day in days if week_start <= day < week_end) + 1
    if in_week <= rule.max_sessions_per_week:
        return _rolling_conflict(on=on, days=days, first_on=first_on, rules=rules, window=window)
    if rule.max_sessions_per_week == 0:
        return f"week {week} of the course allows no session under the protocol ({rule.source})"
    allowed = "1 session" if rule.max_sessions_per_week == 1 else f"{rule.max_sessions_per_week} sessions"
    return f"week {week} of the course allows {allowed} a week; {in_week} are booked ({rule.source})"


def _rolling_conflict(
    *,
    on: dt.date,
    days: Sequence[dt.date],
    first_on: dt.date,
    rules: Sequence[FrequencyRule],
    window: RollingWindow,
) -> str | None:
    """The label's weeks are fixed blocks; this catches two sessions close together across a block's edge.

    A run of days that spans two phases allows the more generous phase's number, so the step
    from twice to once a week is not refused at its edge.
    """
    length = window.length_days
    for back in range(length):
        low = on - dt.timedelta(days=back)
        high = low + dt.timedelta(days=length - 1)
        in_course = (low + dt.timedelta(days=n) for n in range(length))
        weeks = {course_week(first_on=first_on, on=d) for d in in_course if d >= first_on}
        phases = [r for r in rules if any(r.covers(w) for w in weeks)]
        if not phases:
            continue
        widest = max(phases, key=lambda r: r.max_sessions_per_week)
        inside = sorted(d for d in days if low <= d <= high)
        if len(inside) + 1 <= widest.max_sessions_per_week:
            continue
        allowed = widest.max_sessions_per_week
        noun = "session" if allowed == 1 else "sessions"
        others = ", ".join(f"{d:%Y-%m-%d}" for d in inside)
        return (
            f"with the session{'s' if len(inside) > 1 else ''} on {others} it would make {len(inside) + 1} "
            f"in {length} days; the protocol allows {allowed} {noun} in any {length} days "
            f"({widest.source}; {window.source})"
        )
    return None
