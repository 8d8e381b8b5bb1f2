"""The session baseline: each measure's first value, from before the dose where any reading is."""

from __future__ import annotations

import datetime as dt

from ketaclinic.core.monitoring import Baseline, session_baseline_of

DOSE = dt.datetime(2026, 3, 9, 9, 30, tzinfo=dt.UTC)


def at(minutes: int) -> dt.datetime:
    return DOSE + dt.timedelta(minutes=minutes)


def test_each_measure_takes_its_first_value():
    baseline = session_baseline_of(
        [(at(-20), {"systolic_mmhg": 130}), (at(-10), {"systolic_mmhg": 150, "heart_rate_bpm": 70})], None
    )
    assert baseline.values["systolic_mmhg"] == 130
    assert baseline.values["heart_rate_bpm"] == 70
    assert baseline.values["spo2_percent"] is None


def test_once_a_reading_is_from_before_the_dose_only_such_readings_count():
    readings = [(at(-5), {"systolic_mmhg": 128}), (at(10), {"systolic_mmhg": 170, "heart_rate_bpm": 95})]
    baseline = session_baseline_of(readings, DOSE)
    assert baseline.values["systolic_mmhg"] == 128
    assert baseline.values["heart_rate_bpm"] is None  # never measured before the dose


def test_with_no_reading_before_the_dose_the_first_after_it_counts():
    baseline = session_baseline_of([(at(10), {"systolic_mmhg": 140}), (at(20), {"systolic_mmhg": 160})], DOSE)
    assert baseline.values["systolic_mmhg"] == 140
    # A late-entered reading from before the dose becomes the baseline.
    assert baseline.with_reading(at(-15), {"systolic_mmhg": 125}).values["systolic_mmhg"] == 125


def test_readings_folded_in_any_order_give_the_same_baseline():
    readings = [
        (at(-30), {"systolic_mmhg": 120}),
        (at(-20), {"heart_rate_bpm": 66, "systolic_mmhg": 124}),
        (at(0), {"moaas": 5}),
        (at(15), {"systolic_mmhg": 175, "spo2_percent": 97}),
    ]
    in_order = session_baseline_of(readings, DOSE)
    backwards = session_baseline_of(reversed(readings), DOSE)
    assert in_order.values == backwards.values
    assert in_order.values["systolic_mmhg"] == 120 and in_order.values["moaas"] == 5


def test_a_reading_with_only_a_side_effect_counts_as_before_the_dose_but_sets_no_value():
    baseline = Baseline(DOSE).with_reading(at(-5), {}).with_reading(at(5), {"heart_rate_bpm": 80})
    assert baseline.values["heart_rate_bpm"] is None
