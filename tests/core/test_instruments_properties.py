"""Properties of the scoring engine that hold for every answer set (Hypothesis)."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.core.instruments import Completeness, assess_change, load, score
from ketaclinic.core.instruments.definitions import RangeBands, SumTotal

SUM_SCALES = ["phq9", "phq2", "gad7", "gad2", "madrs", "pcl5", "dast10", "who5", "cadss"]
PRORATING_SCALES = ["phq9", "gad7", "madrs", "pcl5", "dast10", "who5"]
CSSRS_RANK = {None: -1, "no_positive_response": 0, "low": 1, "moderate": 2, "high": 3}


def complete_answers(code: str) -> st.SearchStrategy[dict[int, int | None]]:
    """Every required item answered with one of its own options."""
    return st.fixed_dictionaries(
        {item.number: st.sampled_from(sorted(item.values)) for item in load(code).items if item.required}
    )


def summed_items(code: str) -> tuple[int, ...]:
    rule = load(code).total
    assert isinstance(rule, SumTotal)
    return rule.items


@pytest.mark.parametrize("code", SUM_SCALES)
@given(data=st.data())
def test_sum_scale_total_stays_within_its_range(code, data):
    """Any complete answer set gives a total inside the declared range, with a band if any."""
    definition = load(code)
    result = score(code, data.draw(complete_answers(code)))
    span = definition.total_range
    assert span is not None
    assert result.total is not None
    assert span.minimum <= result.total <= span.maximum
    assert result.completeness is Completeness.COMPLETE
    if isinstance(definition.bands, RangeBands):
        assert result.severity is not None


@pytest.mark.parametrize("code", SUM_SCALES)
@given(data=st.data())
def test_sum_scale_total_is_the_sum_after_reverse_scoring(code, data):
    """Total = sum of raw answers, with reverse items counted as (min + max - answer)."""
    definition = load(code)
    answers = data.draw(complete_answers(code))
    expected = 0
    for number in summed_items(code):
        item = definition.item(number)
        assert item is not None
        raw = answers[number]
        assert raw is not None
        span = item.value_range
        expected += span.minimum + span.maximum - raw if item.reverse else raw
    assert score(code, answers).total == expected


@pytest.mark.parametrize("code", [*SUM_SCALES, "qids_sr16"])
@given(data=st.data())
def test_raising_one_answer_moves_the_total_the_items_way(code, data):
    """Raising an answer never lowers the total; for a reverse item it never raises it."""
    definition = load(code)
    answers = data.draw(complete_answers(code))
    item = data.draw(st.sampled_from([i for i in definition.items if i.scored]))
    current = answers[item.number]
    assert current is not None
    higher = [value for value in item.values if value > current]
    if not higher:
        return
    before = score(code, answers).total
    after = score(code, answers | {item.number: data.draw(st.sampled_from(sorted(higher)))}).total
    assert before is not None
    assert after is not None
    assert (after <= before) if item.reverse else (after >= before)


@given(answers=complete_answers("dast10"))
def test_dast10_item_3_flip_changes_total_by_one_in_the_opposite_direction(answers):
    """Changing item 3 from no to yes lowers the DAST-10 total by exactly 1."""
    no = score("dast10", answers | {3: 0}).total
    yes = score("dast10", answers | {3: 1}).total
    assert no is not None
    assert yes is not None
    assert no - yes == 1


@given(answers=complete_answers("qids_sr16"))
def test_qids_sr16_total_is_the_sum_of_domain_maxima(answers):
    """QIDS-SR16 = max(1-4) + 5 + max(6-9) + 10 + 11 + 12 + 13 + 14 + max(15-16), never the naive sum."""
    a = {number: value for number, value in answers.items() if value is not None}
    expected = (
        max(a[1], a[2], a[3], a[4])
        + a[5]
        + max(a[6], a[7], a[8], a[9])
        + a[10]
        + a[11]
        + a[12]
        + a[13]
        + a[14]
        + max(a[15], a[16])
    )
    result = score("qids_sr16", answers)
    assert result.total == expected
    assert 0 <= expected <= 27
    assert expected <= sum(a.values())
    assert result.severity is not None


@pytest.mark.parametrize("code", SUM_SCALES)
@given(data=st.data())
def test_missing_scored_item_leaves_total_empty_by_default(code, data):
    """Without a proration setting, any missing scored item gives no total and no band."""
    answers = data.draw(complete_answers(code))
    missing = data.draw(st.sampled_from(summed_items(code)))
    result = score(code, answers | {missing: None})
    assert result.total is None
    assert result.severity is None
    assert result.completeness is Completeness.INCOMPLETE
    assert missing in result.missing_items


@pytest.mark.parametrize("code", PRORATING_SCALES)
@given(data=st.data())
def test_prorated_total_is_the_half_up_rounded_mean_and_stays_in_range(code, data):
    """With proration allowed, one missing item gives round_half_up(mean x n) within range."""
    definition = load(code)
    answers = data.draw(complete_answers(code))
    items = summed_items(code)
    missing = data.draw(st.sampled_from(items))
    result = score(code, answers | {missing: None}, {"prorate_max_missing": 1})
    answered = []
    for number in items:
        item = definition.item(number)
        raw = answers[number]
        if number == missing or item is None or raw is None:
            continue
        span = item.value_range
        answered.append(span.minimum + span.maximum - raw if item.reverse else raw)
    expected = math.floor(Fraction(sum(answered), len(answered)) * len(items) + Fraction(1, 2))
    total_range = definition.total_range
    assert total_range is not None
    assert result.total == expected
    assert total_range.minimum <= expected <= total_range.maximum
    assert result.completeness is Completeness.PRORATED


@given(
    item_9=st.integers(0, 3),
    others=st.dictionaries(st.integers(1, 8), st.one_of(st.none(), st.integers(0, 3))),
)
def test_phq9_item_9_flag_depends_only_on_item_9(item_9, others):
    """Item 9 > 0 flags whatever else is answered or missing; item 9 = 0 never does."""
    result = score("phq9", others | {9: item_9})
    assert ("phq9_item9_positive" in result.flags) is (item_9 > 0)
    assert "safety_item_missing" not in result.flags


@given(others=st.dictionaries(st.integers(1, 8), st.integers(0, 3)))
def test_phq9_unanswered_item_9_always_raises_safety_item_missing(others):
    """Item 9 unanswered is flagged, never a silent pass."""
    assert "safety_item_missing" in score("phq9", others).flags


@st.composite
def cssrs_answers(draw: st.DrawFn) -> dict[int, int | None]:
    """A consistent C-SSRS screener: Q3-Q5 only after Q2 yes, Q6b only after Q6 yes."""
    answers: dict[int, int | None] = {1: draw(st.integers(0, 1)), 2: draw(st.integers(0, 1))}
    if answers[2] == 1:
        answers |= {3: draw(st.integers(0, 1)), 4: draw(st.integers(0, 1)), 5: draw(st.integers(0, 1))}
    answers[6] = draw(st.integers(0, 1))
    if answers[6] == 1:
        answers[7] = draw(st.integers(0, 1))
    return answers


@given(answers=cssrs_answers(), data=st.data())
def test_cssrs_screener_another_yes_never_lowers_the_band(answers, data):
    """Turning any answered 'no' into 'yes' gives the same or a higher risk band."""
    noes = [number for number, value in answers.items() if value == 0 and number not in (2, 6)]
    before = score("cssrs_screener", answers)
    assert before.severity is not None
    assert before.completeness is Completeness.COMPLETE
    if not noes:
        return
    flipped = answers | {data.draw(st.sampled_from(noes)): 1}
    after = score("cssrs_screener", flipped)
    assert CSSRS_RANK[after.severity] >= CSSRS_RANK[before.severity]


@given(answers=cssrs_answers())
def test_cssrs_screener_band_is_high_exactly_on_intent_plan_or_recent_behaviour(answers):
    """High iff Q4 or Q5 yes, or behaviour within 3 months (Columbia triage guidance)."""
    high = answers.get(4) == 1 or answers.get(5) == 1 or answers.get(7) == 1
    assert (score("cssrs_screener", answers).severity == "high") is high


@given(answers=complete_answers("who5"))
def test_who5_percentage_is_four_times_raw_and_drives_the_screens(answers):
    """Percentage = raw x 4; poor well-being at ≤ 50%, likely depression at ≤ 28%."""
    result = score("who5", answers)
    assert result.total is not None
    percentage = result.derived_scores["percentage"]
    assert percentage == 4 * result.total
    assert result.screens["poor_wellbeing"] is (percentage <= 50)
    assert result.screens["likely_depression"] is (percentage <= 28)


@given(level=st.integers(-5, 4))
def test_rass_every_level_has_one_band(level):
    """Every RASS level scores as itself and gets its own band."""
    result = score("rass", {1: level})
    assert result.total == level
    assert result.severity is not None


@given(pre_dose=st.integers(0, 5), level=st.integers(0, 5))
def test_moaas_sedation_present_exactly_when_below_pre_dose(pre_dose, level):
    """MOAA/S raises sedation_present exactly when the level is below the pre-dose level."""
    result = score("moaas", {1: level}, baseline_total=pre_dose)
    assert ("sedation_present" in result.flags) is (level < pre_dose)
    assert result.change_from_baseline == level - pre_dose


@given(baseline=st.integers(1, 27), current=st.integers(0, 27))
def test_phq9_response_is_a_fall_of_at_least_half(baseline, current):
    """Response iff (baseline - current) / baseline ≥ 50%, with the percentage's sign as improvement."""
    assessment = assess_change("phq9", baseline, current)
    assert assessment.response is not None
    assert assessment.response.met is (2 * (baseline - current) >= baseline)
    assert assessment.improvement_percent is not None
    assert (assessment.improvement_percent > 0) is (current < baseline)
