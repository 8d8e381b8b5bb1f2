from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.core.measurement_schedule import (
    CourseDates,
    DueKind,
    ScheduleSettings,
    is_overdue,
    measurement_schedule,
)

D = dt.date


def kinds(schedule):  # type: ignore[no-untyped-def]
    return [(s.kind, s.due_on) for s in schedule]


def test_schedule_covers_baseline_sessions_day_after_weekly_and_monthly():
    sessions = (D(2026, 12, 1), D(2026, 12, 3), D(2026, 12, 5), D(2026, 12, 8), D(2026, 12, 10), D(2026, 12, 12))
    course = CourseDates(baseline_on=D(2026, 11, 25), session_dates=sessions, maintenance_starts_on=D(2027, 1, 12))
    schedule = measurement_schedule(
        instruments=["phq9"], course=course, settings=ScheduleSettings(maintenance_months=2)
    )
    assert kinds(schedule) == [
        (DueKind.BASELINE, D(2026, 11, 25)),
        (DueKind.PRE_SESSION, D(2026, 12, 1)),
        (DueKind.DAY_AFTER_FIRST, D(2026, 12, 2)),
        (DueKind.PRE_SESSION, D(2026, 12, 3)),
        (DueKind.PRE_SESSION, D(2026, 12, 5)),
        (DueKind.PRE_SESSION, D(2026, 12, 8)),  # the weekly one falls on this session day
        (DueKind.PRE_SESSION, D(2026, 12, 10)),
        (DueKind.PRE_SESSION, D(2026, 12, 12)),
        (DueKind.MAINTENANCE_MONTHLY, D(2027, 1, 12)),
        (DueKind.MAINTENANCE_MONTHLY, D(2027, 2, 12)),
    ]


def test_schedule_repeats_for_each_instrument_on_each_date():
    schedule = measurement_schedule(instruments=["phq9", "gad7"], course=CourseDates(baseline_on=D(2026, 1, 1)))
    assert [(s.instrument_code, s.kind) for s in schedule] == [
        ("phq9", DueKind.BASELINE),
        ("gad7", DueKind.BASELINE),
    ]


def test_monthly_dates_keep_to_the_end_of_short_months():
    course = CourseDates(baseline_on=D(2026, 1, 1), maintenance_starts_on=D(2026, 1, 31))
    schedule = measurement_schedule(
        instruments=["phq9"], course=course, settings=ScheduleSettings(maintenance_months=3)
    )
    assert [s.due_on for s in schedule][1:] == [D(2026, 1, 31), D(2026, 2, 28), D(2026, 3, 31)]


def test_sessions_before_baseline_are_refused():
    with pytest.raises(ValueError, match="before the baseline"):
        measurement_schedule(
            instruments=["phq9"], course=CourseDates(baseline_on=D(2026, 2, 1), session_dates=(D(2026, 1, 1),))
        )


@pytest.mark.parametrize(("today", "overdue"), [(D(2026, 1, 8), False), (D(2026, 1, 9), True)])
def test_overdue_after_the_grace_period(today, overdue):
    assert is_overdue(due_on=D(2026, 1, 1), overdue_after_days=7, today=today) is overdue


@given(st.lists(st.dates(D(2026, 1, 2), D(2026, 6, 1)), max_size=12, unique=True))
def test_schedule_has_one_entry_per_instrument_per_day(days):
    schedule = measurement_schedule(
        instruments=["phq9"], course=CourseDates(baseline_on=D(2026, 1, 1), session_dates=tuple(days))
    )
    dates = [s.due_on for s in schedule]
    assert dates == sorted(set(dates))
    assert set(days) <= set(dates)
