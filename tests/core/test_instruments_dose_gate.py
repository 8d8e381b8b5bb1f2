"""Scoring gaps found on the dose-gate review (issue #10 items 9 and 11), in the pure core."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.core.instruments import Completeness, Sex, instrument, score
from ketaclinic.core.instruments.risk import RiskKind, risk_findings
from ketaclinic.core.monitoring import check_reading

QIDS_WORKED_EXAMPLE = dict(enumerate([1, 3, 0, 0, 2, 2, 0, 1, 0, 2, 1, 1, 2, 2, 1, 2], start=1))
APPETITE_WEIGHT = (6, 7, 8, 9)


# --- C-SSRS: an incomplete screen is a minimum, not a band -----------------------------------


def test_cssrs_q2_yes_with_q3_to_q5_unanswered_is_incomplete_at_least_low():
    """Q2 yes opens Q3-Q5; left unanswered, "low" is only a lower bound."""
    result = score("cssrs_screener", {1: 1, 2: 1, 6: 0})
    assert result.completeness is Completeness.INCOMPLETE
    assert result.severity == "low"
    assert result.band_is_minimum is True
    assert result.missing_items == (3, 4, 5)


def test_cssrs_q2_no_skips_q3_to_q5_and_is_complete():
    """Q3-Q5 not asked after Q2 no is a complete screen with an exact band."""
    result = score("cssrs_screener", {1: 1, 2: 0, 6: 0})
    assert result.completeness is Completeness.COMPLETE
    assert result.severity == "low"
    assert result.band_is_minimum is False


def test_cssrs_highest_band_is_exact_even_with_unanswered_items():
    """Q6b yes is already high: nothing unanswered could raise it."""
    result = score("cssrs_screener", {1: 1, 2: 1, 6: 1, 7: 1})
    assert result.completeness is Completeness.INCOMPLETE
    assert (result.severity, result.band_is_minimum) == ("high", False)


def test_cssrs_worked_examples_keep_exact_bands():
    """measures.md §2.6 worked examples (a) moderate and (b) high are complete and exact."""
    a = score("cssrs_screener", {1: 1, 2: 1, 3: 1, 4: 0, 5: 0, 6: 1, 7: 0})
    b = score("cssrs_screener", {1: 0, 2: 0, 6: 1, 7: 1})
    assert (a.severity, a.completeness, a.band_is_minimum) == ("moderate", Completeness.COMPLETE, False)
    assert (b.severity, b.completeness, b.band_is_minimum) == ("high", Completeness.COMPLETE, False)


def test_cssrs_incomplete_screen_alert_says_at_least_and_still_asks_the_questions():
    """The alert is never lower than the lower bound, and it says the screen is unfinished."""
    cssrs = instrument("cssrs_screener")
    findings = risk_findings(cssrs, score("cssrs_screener", {1: 1, 2: 1, 6: 0}))
    kinds = {finding.kind for finding in findings}
    assert kinds == {RiskKind.POSITIVE, RiskKind.UNANSWERED}
    positive = next(finding for finding in findings if finding.kind is RiskKind.POSITIVE)
    assert positive.flag == "cssrs_risk_low"
    assert "at least low" in positive.reason
    assert "unanswered" in positive.reason


@given(st.sampled_from([None, 0, 1]), st.sampled_from([None, 0, 1]), st.sampled_from([None, 0, 1]))
def test_cssrs_answering_the_open_questions_never_lowers_a_minimum_band(q3, q4, q5):
    """Whatever Q3-Q5 turn out to be, the band is at least the minimum shown before."""
    order = ["no_positive_response", "low", "moderate", "high"]
    before = score("cssrs_screener", {1: 1, 2: 1, 6: 0})
    after = score("cssrs_screener", {1: 1, 2: 1, 3: q3, 4: q4, 5: q5, 6: 0})
    assert before.severity is not None and after.severity is not None
    assert order.index(after.severity) >= order.index(before.severity)
    assert after.band_is_minimum is (after.severity != "high" and None in (q3, q4, q5))


# --- QIDS-SR16: each appetite/weight pair needs an answer -----------------------------------


def test_qids_sr16_worked_example_is_still_17_severe():
    result = score("qids_sr16", QIDS_WORKED_EXAMPLE)
    assert (result.total, result.severity, result.completeness) == (17, "severe", Completeness.COMPLETE)


def test_qids_sr16_one_appetite_item_without_a_weight_item_leaves_the_total_empty():
    """Item 6 answered, items 7-9 not: the weight pair (8|9) is missing, so the total is null."""
    answers = QIDS_WORKED_EXAMPLE | {7: None, 8: None, 9: None}
    result = score("qids_sr16", answers)
    assert result.total is None
    assert result.severity is None
    assert result.completeness is Completeness.INCOMPLETE
    assert result.subscales["appetite_weight"] is None
    assert result.missing_items == (8, 9)


def test_qids_sr16_one_item_of_each_pair_scores_the_domain():
    """Items 6 and 8 answered, partners 7 and 9 not: the partners count as 0 inside the max."""
    answers = QIDS_WORKED_EXAMPLE | {7: None, 9: None}
    result = score("qids_sr16", answers)
    assert (result.total, result.completeness) == (17, Completeness.COMPLETE)
    assert result.subscales["appetite_weight"] == 2


@given(st.tuples(*(st.one_of(st.none(), st.integers(0, 3)) for _ in APPETITE_WEIGHT)))
def test_qids_sr16_total_exists_exactly_when_both_pairs_have_an_answer(appetite_weight):
    """Total null iff the appetite pair (6|7) or the weight pair (8|9) is wholly unanswered."""
    given_items = dict(zip(APPETITE_WEIGHT, appetite_weight, strict=True))
    result = score("qids_sr16", QIDS_WORKED_EXAMPLE | given_items)
    appetite = [v for v in appetite_weight[:2] if v is not None]
    weight = [v for v in appetite_weight[2:] if v is not None]
    if appetite and weight:
        domain = max(appetite + weight)
        assert result.subscales["appetite_weight"] == domain
        assert result.total == 17 - 2 + domain
        assert result.completeness is Completeness.COMPLETE
    else:
        assert result.total is None
        assert result.completeness is Completeness.INCOMPLETE


# --- AUDIT-C cut-offs by sex (measures.md §2.8 worked example) -------------------------------


def test_audit_c_worked_example_is_negative_for_a_man_and_positive_otherwise():
    answers = {1: 2, 2: 1, 3: 0}
    assert score("audit_c", answers, sex=Sex.MALE).screens["positive_screen"] is False
    assert score("audit_c", answers, sex=Sex.FEMALE).screens["positive_screen"] is True
    assert score("audit_c", answers, sex=Sex.UNKNOWN).screens["positive_screen"] is True


# --- MOAA/S: any drop from the pre-dose level -----------------------------------------------


def test_moaas_drop_from_pre_dose_raises_a_sedation_alert_that_says_why():
    (alert,) = check_reading({"moaas": 4}, baseline={"moaas": 4}, pre_dose={"moaas": 5})
    assert alert.rule_id == "sedation_drop_from_pre_dose"
    assert "Sedation (MOAA/S): 4, down from 5 before the dose: sedation (Spravato label)." in alert.message


def test_moaas_at_the_pre_dose_level_raises_nothing():
    assert check_reading({"moaas": 5}, baseline={}, pre_dose={"moaas": 5}) == ()


def test_moaas_without_a_pre_dose_level_is_not_compared():
    assert check_reading({"moaas": 4}, baseline={"moaas": 5}) == ()


def test_moaas_deep_sedation_raises_both_the_drop_and_the_deep_alert():
    alerts = check_reading({"moaas": 2}, baseline={}, pre_dose={"moaas": 5})
    assert {alert.rule_id for alert in alerts} == {"sedation_drop_from_pre_dose", "sedation_deep"}


@given(st.integers(0, 5), st.integers(0, 5))
def test_moaas_drop_alert_fires_exactly_when_the_level_is_below_pre_dose(pre, level):
    alerts = check_reading({"moaas": level}, baseline={}, pre_dose={"moaas": pre})
    assert ("sedation_drop_from_pre_dose" in {a.rule_id for a in alerts}) is (level < pre)
