from __future__ import annotations

import datetime as dt

import pytest

from ketaclinic.core.scheduling import Booking, Holder, OpenHours, conflict, session_length

UTC = dt.UTC
NINE = dt.datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_session_length_is_dose_plus_observation():
    assert session_length(dosing_minutes=40, observation_minutes=40) == dt.timedelta(minutes=80)


def test_session_length_refuses_impossible_times():
    with pytest.raises(ValueError, match="observation"):
        session_length(dosing_minutes=40, observation_minutes=0)


@pytest.mark.parametrize(
    ("holder", "reason"),
    [
        (Holder.CHAIR, "chair is taken"),
        (Holder.NURSE, "nurse is with another patient"),
        (Holder.PATIENT, "already has"),
    ],
)
def test_overlaps_are_refused_with_the_reason(holder, reason):
    booked = Booking(holder, NINE + dt.timedelta(minutes=30), NINE + dt.timedelta(minutes=110))
    found = conflict(
        starts_at=NINE, ends_at=NINE + dt.timedelta(minutes=80), bookings=[booked], patient_doses=[], min_spacing_days=2
    )
    assert found is not None and reason in found


def test_back_to_back_sessions_do_not_overlap():
    booked = Booking(Holder.CHAIR, NINE - dt.timedelta(minutes=80), NINE)
    assert (
        conflict(
            starts_at=NINE,
            ends_at=NINE + dt.timedelta(minutes=80),
            bookings=[booked],
            patient_doses=[],
            min_spacing_days=2,
        )
        is None
    )


@pytest.mark.parametrize(("days_apart", "refused"), [(1, True), (2, False)])
def test_minimum_interval_between_doses(days_apart, refused):
    found = conflict(
        starts_at=NINE,
        ends_at=NINE + dt.timedelta(minutes=80),
        bookings=[],
        patient_doses=[NINE - dt.timedelta(days=days_apart)],
        min_spacing_days=2,
    )
    assert (found is not None) is refused


def test_sessions_fit_inside_opening_hours():
    hours = [OpenHours(weekday=NINE.weekday(), opens_at=dt.time(8), closes_at=dt.time(10))]
    late = NINE + dt.timedelta(minutes=30)
    found = conflict(
        starts_at=late,
        ends_at=late + dt.timedelta(minutes=80),
        bookings=[],
        patient_doses=[],
        min_spacing_days=2,
        hours=hours,
        local_start=late,
        local_end=late + dt.timedelta(minutes=80),
    )
    assert found == "the center is closed for part of that time"
