"""An alert is data (rule, measure, value, limit); its sentence is rendered from it, in any language."""

from __future__ import annotations

import pytest

from ketaclinic.core.monitoring import THRESHOLDS, Limit, alert_sentence, check_reading


@pytest.mark.parametrize(
    ("values", "baseline", "pre_dose", "expected"),
    [
        ({"systolic_mmhg": 186}, {}, {}, ("systolic_high", Limit.ABOVE, 180, None)),
        ({"spo2_percent": 89}, {}, {}, ("spo2_low", Limit.BELOW, 92, None)),
        ({"moaas": 2}, {}, {}, ("sedation_deep", Limit.AT_MOST, 2, None)),
        ({"nausea": 1}, {}, {}, ("nausea_any", Limit.AT_LEAST, 1, None)),
        ({"systolic_mmhg": 175}, {"systolic_mmhg": 120}, {}, ("systolic_rise", Limit.RISE_OVER_BASELINE, 40, 120)),
        ({"moaas": 4}, {}, {"moaas": 5}, ("sedation_drop_from_pre_dose", Limit.DROP_BELOW_PRE_DOSE, 0, 5)),
    ],
)
def test_each_kind_of_limit_is_stored_with_its_threshold_and_the_level_compared_with(
    values, baseline, pre_dose, expected
):
    (alert,) = check_reading(values, baseline=baseline, pre_dose=pre_dose)
    assert (alert.rule_id, alert.kind, alert.threshold, alert.compared_with) == expected
    assert alert.value == next(iter(values.values())) and alert.version == THRESHOLDS.version


def test_the_words_are_translated_and_the_rules_response_and_finding_stay_as_written():
    (alert,) = check_reading({"moaas": 4}, baseline={}, pre_dose={"moaas": 5})

    def bracket(message: str) -> str:
        return f"[{message}]"

    assert alert_sentence(alert, bracket) == (
        "[[Sedation (MOAA/S)]: [4, down from 5 before the dose]: sedation (Spravato label). "
        "Observe until back to the pre-dose level; tell the prescriber. "
        f"(rule sedation_drop_from_pre_dose, {THRESHOLDS.version})]"
    )
    assert alert.message == alert_sentence(alert)  # as written, when no translation is asked for
