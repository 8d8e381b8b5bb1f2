from __future__ import annotations

import datetime as dt

import pytest

from ketaclinic.core.discharge import DISCHARGE_RULES, observation_time_passed, vitals_near_baseline

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
BASELINE = {"systolic_mmhg": 124, "diastolic_mmhg": 78, "heart_rate_bpm": 72, "spo2_percent": 98}


def test_the_criteria_are_the_references_and_carry_a_version():
    keys = [c.key for c in DISCHARGE_RULES.criteria]
    assert keys == [
        "vitals_near_baseline",
        "observation_time_passed",
        "alert_and_oriented",
        "walks_steadily",
        "side_effects_settled",
        "escort_present",
        "instructions_given",
    ]
    assert DISCHARGE_RULES.version and "protocols.md" in DISCHARGE_RULES.source
    assert {c.key for c in DISCHARGE_RULES.nurse_criteria} == set(keys[2:])


def test_vitals_back_near_baseline_pass_and_show_the_comparison():
    latest = {"systolic_mmhg": 140, "diastolic_mmhg": 88, "heart_rate_bpm": 80, "spo2_percent": 97}
    answer = vitals_near_baseline(baseline=BASELINE, latest=latest, latest_at=NOW - dt.timedelta(minutes=3), now=NOW)
    assert answer.ok and "systolic 140 vs 124" in answer.how


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"systolic_mmhg": 145}, "systolic 145 mmHg is more than 20 from the baseline 124"),
        ({"systolic_mmhg": 103}, "systolic 103 mmHg is more than 20 from the baseline 124"),
        ({"diastolic_mmhg": 94}, "diastolic 94 mmHg is more than 15"),
        ({"heart_rate_bpm": 93}, "HR 93 bpm is more than 20"),
        ({"spo2_percent": 93}, "SpO2 93 % is below 94 %"),
        ({"spo2_percent": None}, "SpO2 missing"),
        ({"heart_rate_bpm": None}, "HR missing"),
    ],
)
def test_each_vital_off_baseline_is_named(change, words):
    answer = vitals_near_baseline(
        baseline=BASELINE, latest=BASELINE | change, latest_at=NOW - dt.timedelta(minutes=1), now=NOW
    )
    assert not answer.ok and words in answer.how


def test_the_tolerance_edge_is_inclusive():
    latest = BASELINE | {"systolic_mmhg": 144, "diastolic_mmhg": 93, "heart_rate_bpm": 92, "spo2_percent": 94}
    assert vitals_near_baseline(baseline=BASELINE, latest=latest, latest_at=NOW, now=NOW).ok


def test_an_old_reading_does_not_describe_the_patient_now():
    answer = vitals_near_baseline(baseline=BASELINE, latest=BASELINE, latest_at=NOW - dt.timedelta(minutes=16), now=NOW)
    assert not answer.ok and "16 min old" in answer.how


def test_without_two_readings_there_is_nothing_to_compare():
    assert not vitals_near_baseline(baseline=None, latest=None, latest_at=None, now=NOW).ok


@pytest.mark.parametrize(
    ("minutes", "ok", "words"),
    [(39, False, "39 of 40 min observed; 1 min to go"), (40, True, "40 min observed"), (95, True, "95 min")],
)
def test_observation_time_counts_from_the_end_of_the_dose(minutes, ok, words):
    answer = observation_time_passed(dose_ended_at=NOW - dt.timedelta(minutes=minutes), now=NOW, minimum_minutes=40)
    assert answer.ok is ok and words in answer.how


def test_no_observation_before_the_dose_has_ended():
    assert not observation_time_passed(dose_ended_at=None, now=NOW, minimum_minutes=40).ok
