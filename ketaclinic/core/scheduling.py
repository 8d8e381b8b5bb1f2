"""Placing treatment sessions: length, overlaps and the minimum interval between doses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum


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
