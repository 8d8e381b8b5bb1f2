from __future__ import annotations

import pytest

from ketaclinic.core.monitoring import THRESHOLDS, check_reading, implausible


@pytest.mark.parametrize(
    ("values", "rule"),
    [
        ({"systolic_mmhg": 181}, "systolic_high"),
        ({"diastolic_mmhg": 111}, "diastolic_high"),
        ({"heart_rate_bpm": 121}, "heart_rate_high"),
        ({"heart_rate_bpm": 49}, "heart_rate_low"),
        ({"spo2_percent": 91}, "spo2_low"),
        ({"respiratory_rate": 7}, "respiratory_rate_low"),
        ({"moaas": 2}, "sedation_deep"),
        ({"dissociation": 3}, "dissociation_severe"),
        ({"nausea": 1}, "nausea_any"),
        ({"nausea": 2}, "nausea_any"),
    ],
)
def test_every_vital_has_a_threshold_that_fires_with_its_reason(values, rule):
    (alert,) = check_reading(values, baseline={})
    assert alert.rule_id == rule and alert.version == THRESHOLDS.version and alert.response


@pytest.mark.parametrize(
    "values",
    [
        {"systolic_mmhg": 180},
        {"diastolic_mmhg": 110},
        {"heart_rate_bpm": 120},
        {"heart_rate_bpm": 50},
        {"spo2_percent": 92},
        {"respiratory_rate": 8},
        {"moaas": 3},
        {"dissociation": 2},
        {"nausea": 0},
    ],
)
def test_values_at_the_limit_do_not_fire(values):
    assert check_reading(values, baseline={}) == ()


def test_a_rise_of_more_than_40_over_baseline_fires_below_the_absolute_limit():
    (alert,) = check_reading({"systolic_mmhg": 171}, baseline={"systolic_mmhg": 130})
    assert alert.rule_id == "systolic_rise" and "baseline 130" in alert.message


def test_a_moaas_drop_from_the_pre_dose_level_fires_above_the_deep_sedation_limit():
    (alert,) = check_reading({"moaas": 4}, baseline={"moaas": 4}, pre_dose={"moaas": 5})
    assert alert.rule_id == "sedation_drop_from_pre_dose" and "down from 5 before the dose" in alert.message


def test_impossible_values_are_named():
    assert implausible({"spo2_percent": 140, "heart_rate_bpm": 70}) == ["spo2_percent"]


def test_every_rule_in_the_data_is_exercised_above():
    tested = {"systolic_high", "systolic_rise", "diastolic_high", "heart_rate_high", "heart_rate_low", "spo2_low"}
    tested |= {"respiratory_rate_low", "sedation_deep", "dissociation_severe", "nausea_any"}
    tested |= {"sedation_drop_from_pre_dose"}
    assert {rule.id for rule in THRESHOLDS.rules} == tested


def test_bedside_ratings_alert_in_the_nurses_words():
    (alert,) = check_reading({"dissociation": 3}, baseline={})
    assert alert.message.startswith("Dissociation: severe distress is at or above severe distress. Reassure, pause")
    (alert,) = check_reading({"nausea": 2}, baseline={})
    assert "vomiting is at or above nausea" in alert.message and "antiemetic" in alert.message


def test_the_recheck_after_an_alert_is_data():
    assert THRESHOLDS.recheck_after_alert_minutes == 5
