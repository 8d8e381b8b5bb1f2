"""The label's weekly frequency, checked in fixed course weeks and in every rolling window."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.core.dosing import PROTOCOL_DEFAULTS
from ketaclinic.core.scheduling import ROLLING_WINDOW, frequency_conflict

TRD_US = PROTOCOL_DEFAULTS["esketamine_trd_us"].frequency
DAY_0 = dt.date(2026, 3, 9)


def on(n: int) -> dt.date:
    return DAY_0 + dt.timedelta(days=n)


def test_the_rolling_window_is_project_default_data_with_a_source():
    assert ROLLING_WINDOW.basis == "project_default"
    assert ROLLING_WINDOW.source
    assert ROLLING_WINDOW.length_days == ROLLING_WINDOW.days - ROLLING_WINDOW.tolerance_days


def test_two_days_apart_across_a_week_edge_is_refused_once_a_week():
    reason = frequency_conflict(on=on(36), course_days=[on(0), on(34)], rules=TRD_US)
    assert reason is not None
    assert "it would make 2 in 6 days" in reason and "2026-04-12" in reason
    assert "weeks 5-8 once a week" in reason


def test_the_step_from_twice_to_once_a_week_is_allowed_at_its_edge():
    """Mondays and Thursdays: days 21 and 24 close induction; day 28 opens week 5."""
    assert frequency_conflict(on=on(28), course_days=[on(0), on(21), on(24)], rules=TRD_US) is None


def test_three_sessions_in_six_days_are_refused_even_across_the_induction_edge():
    """Days 24 and 27 (week 4) and 29 (week 5) fit the fixed weeks but are 3 doses in 6 days."""
    reason = frequency_conflict(on=on(29), course_days=[on(0), on(24), on(27)], rules=TRD_US)
    assert reason is not None and "allows 2 sessions in any 6 days" in reason


@given(st.integers(28, 120), st.integers(1, 5))
def test_once_a_week_never_lets_two_sessions_closer_than_the_window(first, gap):
    """From week 5 on (once a week), a second session under 6 days after another is refused."""
    reason = frequency_conflict(on=on(first + gap), course_days=[on(0), on(first)], rules=TRD_US)
    assert reason is not None
