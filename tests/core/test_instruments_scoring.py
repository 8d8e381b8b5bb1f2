"""Scoring one administration: worked examples, bands, cut-offs, flags, bad and partial input."""

from __future__ import annotations

import dataclasses

import pytest

from ketaclinic.core.errors import NotFound, RuleViolation
from ketaclinic.core.instruments import (
    Completeness,
    ItemStatus,
    Sex,
    answers_from,
    load,
    rating_course,
    score,
)
from ketaclinic.core.instruments.definitions import DomainSumTotal, Instrument, SingleItemTotal, SumTotal


def numbered(values: list[int | None] | list[int]) -> dict[int, int | None]:
    return dict(enumerate(values, start=1))


def answers_for_total(definition: Instrument, total: int) -> dict[int, int | None]:
    """Complete answers whose total is ``total``, filling items in order."""
    rule = definition.total
    remaining = total
    answers: dict[int, int | None] = {item.number: None for item in definition.items if item.required}
    if isinstance(rule, SingleItemTotal):
        return {rule.item: total}
    if isinstance(rule, SumTotal):
        groups = [[number] for number in rule.items]
    else:
        assert isinstance(rule, DomainSumTotal)
        groups = [list(domain.items) for domain in rule.domains]
    for group in groups:
        first = definition.item(group[0])
        assert first is not None
        span = first.value_range
        scored = min(span.maximum, remaining)
        remaining -= scored
        answers[group[0]] = span.minimum + span.maximum - scored if first.reverse else scored
        for number in group[1:]:
            answers[number] = 0
    assert remaining == 0
    return answers


# --- worked examples (measures.md, exactly) --------------------------------------------------

PHQ9_EXAMPLE = numbered([2, 3, 2, 2, 1, 2, 1, 0, 1])
PCL5_B, PCL5_C, PCL5_D, PCL5_E = [3, 2, 3, 2, 2], [3, 3], [1, 2, 1, 2, 3, 2, 2], [2, 1, 3, 2, 2, 3]
PCL5_EXAMPLE = numbered([*PCL5_B, *PCL5_C, *PCL5_D, *PCL5_E])
GAD7_EXAMPLE = numbered([3, 2, 2, 2, 1, 1, 1])


def test_phq9_worked_example_is_moderate_positive_with_safety_flag():
    """[2,3,2,2,1,2,1,0,1] → 14, moderate, positive screen, syndrome suggested, item 9 flag."""
    result = score("phq9", PHQ9_EXAMPLE)
    assert result.total == 14
    assert result.severity == "moderate"
    assert result.screens["positive_screen"] is True
    assert result.screens["depressive_syndrome_suggested"] is True
    assert result.flags == ("phq9_item9_positive",)
    assert result.completeness is Completeness.COMPLETE
    assert result.subscales["phq2"] == 5
    assert "Total = sum of items 1-9: 2 + 3 + 2 + 2 + 1 + 2 + 1 + 0 + 1 = 14." in result.reasons


def test_phq2_and_gad2_worked_examples_derive_from_the_full_forms():
    """PHQ-2 from the PHQ-9 example is 5 (positive); GAD-2 from the GAD-7 example is 5."""
    phq2 = score("phq2", answers_from("phq2", "phq9", PHQ9_EXAMPLE))
    gad2 = score("gad2", answers_from("gad2", "gad7", GAD7_EXAMPLE))
    assert (phq2.total, phq2.screens["positive_screen"]) == (5, True)
    assert (gad2.total, gad2.screens["positive_screen"]) == (5, True)


def test_answers_from_rejects_an_instrument_that_does_not_contain_the_short_form():
    """PHQ-2 items cannot be taken from the GAD-7."""
    with pytest.raises(RuleViolation) as raised:
        answers_from("phq2", "gad7", GAD7_EXAMPLE)
    assert raised.value.code == "instrument_not_embedded"


def test_gad7_worked_example_is_moderate_and_positive():
    """[3,2,2,2,1,1,1] → 12, moderate, positive screen."""
    result = score("gad7", GAD7_EXAMPLE)
    assert (result.total, result.severity, result.screens["positive_screen"]) == (12, "moderate", True)
    assert result.flags == ()


def test_madrs_worked_example_is_moderate():
    """[4,4,3,4,2,3,3,4,3,2] → 32, moderate (Snaith); item 10 = 2 prompts a C-SSRS only."""
    result = score("madrs", numbered([4, 4, 3, 4, 2, 3, 3, 4, 3, 2]))
    assert (result.total, result.severity, result.band_scheme) == (32, "moderate", "madrs_snaith")
    assert result.flags == ("madrs_item10_positive",)


def test_qids_sr16_worked_example_uses_domains_not_a_naive_sum():
    """The example gives 17 (severe) by the nine-domain rule, not the naive sum of 20."""
    values = [1, 3, 0, 0, 2, 2, 0, 1, 0, 2, 1, 1, 2, 2, 1, 2]
    result = score("qids_sr16", numbered(values))
    assert sum(values) == 20
    assert result.total == 17
    assert result.severity == "severe"
    assert result.flags == ("qids_item12_positive",)
    assert dict(result.subscales) == {
        "sleep": 3,
        "mood": 2,
        "appetite_weight": 2,
        "concentration": 2,
        "self_view": 1,
        "suicidal_ideation": 1,
        "interest": 2,
        "energy": 2,
        "psychomotor": 2,
    }


def test_cssrs_screener_worked_example_a_is_moderate():
    """Q1-Q3 yes, Q4-Q5 no, Q6 yes, Q6b no → moderate (Q3 alone is not high)."""
    result = score("cssrs_screener", {1: 1, 2: 1, 3: 1, 4: 0, 5: 0, 6: 1, 7: 0})
    assert result.total is None
    assert result.severity == "moderate"
    assert result.flags == ("cssrs_risk_moderate",)
    assert result.completeness is Completeness.COMPLETE


def test_cssrs_screener_worked_example_b_is_high():
    """Q1 no, Q2 no (Q3-Q5 not asked), Q6 yes, Q6b yes → high."""
    result = score("cssrs_screener", {1: 0, 2: 0, 6: 1, 7: 1})
    assert result.severity == "high"
    assert result.flags == ("cssrs_risk_high",)
    assert result.completeness is Completeness.COMPLETE
    assert [result.item_status[n] for n in (3, 4, 5)] == [ItemStatus.NOT_ASKED] * 3


def test_pcl5_worked_example_is_positive_by_both_rules():
    """Clusters 12/6/13/13, total 44 ≥ 33, and the DSM-5 rule met; no severity label."""
    result = score("pcl5", PCL5_EXAMPLE)
    assert result.total == 44
    assert dict(result.subscales) == {"cluster_b": 12, "cluster_c": 6, "cluster_d": 13, "cluster_e": 13}
    assert result.screens == {"provisional_ptsd_cutoff": True, "provisional_ptsd_dsm5": True}
    assert result.severity is None


@pytest.mark.parametrize(("sex", "positive"), [("male", False), ("female", True), (Sex.FEMALE, True)])
def test_audit_c_worked_example_depends_on_sex(sex, positive):
    """Items 2, 1, 0 → 3: negative for a man, positive for a woman."""
    result = score("audit_c", {1: 2, 2: 1, 3: 0}, sex=sex)
    assert result.total == 3
    assert result.screens["positive_screen"] is positive


def test_dast10_worked_example_counts_item_3_no_as_one():
    """Yes to 1, 5, 6; item 3 no; others no → 1+1+1+1 = 4, moderate."""
    result = score("dast10", {1: 1, 2: 0, 3: 0, 4: 0, 5: 1, 6: 1, 7: 0, 8: 0, 9: 0, 10: 0})
    assert (result.total, result.severity) == (4, "moderate")
    assert result.item_values[3] == 1
    assert "Item 3 is reverse-scored: answer 0 counts as 1." in result.reasons


def test_who5_worked_example_is_44_percent_poor_wellbeing_not_likely_depression():
    """[3,2,2,1,3] → raw 11, 44%: screen for depression, but not ≤ 28%."""
    result = score("who5", numbered([3, 2, 2, 1, 3]))
    assert result.total == 11
    assert result.derived_scores["percentage"] == 44
    assert result.screens == {"poor_wellbeing": True, "likely_depression": False}
    assert result.flags == ("who5_poor_wellbeing",)


def test_cadss_worked_example_reports_change_from_pre_dose():
    """Six items at 2, four at 1, the rest 0 → 16; pre-dose 0 → change +16."""
    answers = {n: 0 for n in range(1, 24)} | dict.fromkeys(range(1, 7), 2) | dict.fromkeys(range(7, 11), 1)
    result = score("cadss", answers, baseline_total=0)
    assert (result.total, result.change_from_baseline, result.severity) == (16, 16, None)


def test_moaas_worked_example_course_shows_sedation_resolved():
    """Pre-dose 5, 40 min 3, 90 min 5 → nadir 3, sedation present, resolved."""
    course = rating_course("moaas", pre_dose=5, ratings=[3, 5])
    assert course.worst_level == 3
    assert "sedation_present" in course.flags
    assert course.resolved is True
    assert course.ratings[0].flags == ("sedation_present",)


def test_rass_worked_example_is_light_sedation():
    """Opens eyes to voice with eye contact about 5 s → -2, light sedation."""
    result = score("rass", {1: -2})
    assert (result.total, result.severity, result.flags) == (-2, "light_sedation", ())


# --- every band boundary (measures.md tables) ------------------------------------------------

BAND_BOUNDARIES = {
    "phq9": [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately_severe"),
        (19, "moderately_severe"),
        (20, "severe"),
        (27, "severe"),
    ],
    "gad7": [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
    "madrs": [
        (0, "normal"),
        (6, "normal"),
        (7, "mild"),
        (19, "mild"),
        (20, "moderate"),
        (34, "moderate"),
        (35, "severe"),
        (60, "severe"),
    ],
    "qids_sr16": [
        (0, "none"),
        (5, "none"),
        (6, "mild"),
        (10, "mild"),
        (11, "moderate"),
        (15, "moderate"),
        (16, "severe"),
        (20, "severe"),
        (21, "very_severe"),
        (27, "very_severe"),
    ],
    "dast10": [
        (0, "no_problems"),
        (1, "low"),
        (2, "low"),
        (3, "moderate"),
        (5, "moderate"),
        (6, "substantial"),
        (8, "substantial"),
        (9, "severe"),
        (10, "severe"),
    ],
    "rass": [
        (-5, "unarousable"),
        (-4, "deep_sedation"),
        (-3, "moderate_sedation"),
        (-2, "light_sedation"),
        (-1, "drowsy"),
        (0, "alert_and_calm"),
        (1, "restless"),
        (2, "agitated"),
        (3, "very_agitated"),
        (4, "combative"),
    ],
}


@pytest.mark.parametrize(
    ("code", "total", "band"),
    [(code, total, band) for code, cases in BAND_BOUNDARIES.items() for total, band in cases],
)
def test_instrument_band_boundary_matches_the_published_table(code, total, band):
    """Each band's lowest and highest total gets that band."""
    definition = load(code)
    result = score(code, answers_for_total(definition, total))
    assert result.total == total
    assert result.severity == band
    assert definition.bands is not None
    assert result.thresholds["band_scheme"] == definition.bands.scheme


@pytest.mark.parametrize(
    ("code", "screen", "total", "expected"),
    [
        ("phq9", "positive_screen", 9, False),
        ("phq9", "positive_screen", 10, True),
        ("gad7", "positive_screen", 9, False),
        ("gad7", "positive_screen", 10, True),
        ("phq2", "positive_screen", 2, False),
        ("phq2", "positive_screen", 3, True),
        ("gad2", "positive_screen", 2, False),
        ("gad2", "positive_screen", 3, True),
        ("pcl5", "provisional_ptsd_cutoff", 32, False),
        ("pcl5", "provisional_ptsd_cutoff", 33, True),
        ("who5", "poor_wellbeing", 12, True),
        ("who5", "poor_wellbeing", 13, False),
        ("who5", "likely_depression", 7, True),
        ("who5", "likely_depression", 8, False),
    ],
)
def test_instrument_screen_cut_off_boundary(code, screen, total, expected):
    """Screens switch exactly at the published cut-off."""
    assert score(code, answers_for_total(load(code), total)).screens[screen] is expected


@pytest.mark.parametrize(
    ("sex", "total", "expected"),
    [
        ("male", 3, False),
        ("male", 4, True),
        ("female", 2, False),
        ("female", 3, True),
        ("other", 2, False),
        ("other", 3, True),
        ("unknown", 3, True),
        (None, 2, False),
        (None, 3, True),
    ],
)
def test_audit_c_cut_off_boundary_by_sex(sex, total, expected):
    """Men ≥ 4, women ≥ 3; other, unknown or unrecorded sex uses the sensitive 3."""
    answers = answers_for_total(load("audit_c"), total)
    assert score("audit_c", answers, sex=sex).screens["positive_screen"] is expected


def test_audit_c_unrecorded_sex_cut_off_is_a_clinic_setting():
    """A clinic may use 4 for unrecorded sex; the snapshot shows which was used."""
    result = score("audit_c", {1: 2, 2: 1, 3: 0}, {"cutoff_sex_not_recorded": 4})
    assert result.screens["positive_screen"] is False
    assert "4 (setting cutoff_sex_not_recorded)" in str(result.thresholds["screens"])


def test_pcl5_cut_off_is_configurable_within_current_guidance():
    """provisional_cutoff may be 31-33; 31 makes a total of 31 positive."""
    answers = answers_for_total(load("pcl5"), 31)
    assert score("pcl5", answers).screens["provisional_ptsd_cutoff"] is False
    assert score("pcl5", answers, {"provisional_cutoff": 31}).screens["provisional_ptsd_cutoff"] is True
    with pytest.raises(RuleViolation):
        score("pcl5", answers, {"provisional_cutoff": 40})


def test_phq2_positive_cut_off_may_be_lowered_to_the_sensitive_two():
    """The standard PHQ-2 cut-off is 3; a clinic may choose the more sensitive 2."""
    assert score("phq2", {1: 1, 2: 1}).screens["positive_screen"] is False
    assert score("phq2", {1: 1, 2: 1}, {"positive_cutoff": 2}).screens["positive_screen"] is True


# --- critical items and flags ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("item_10", "flags"),
    [
        (0, ()),
        (1, ("madrs_item10_positive",)),
        (3, ("madrs_item10_positive",)),
        (4, ("madrs_item10_positive", "madrs_item10_high")),
        (6, ("madrs_item10_positive", "madrs_item10_high")),
    ],
)
def test_madrs_item_10_flags_at_project_default_thresholds(item_10, flags):
    """Item 10 > 0 prompts a C-SSRS; item 10 ≥ 4 raises urgent review."""
    assert score("madrs", {n: 0 for n in range(1, 10)} | {10: item_10}).flags == flags


@pytest.mark.parametrize(
    ("item_12", "flags"),
    [(0, ()), (1, ("qids_item12_positive",)), (2, ("qids_item12_positive", "qids_item12_urgent"))],
)
def test_qids_sr16_item_12_flags(item_12, flags):
    """Item 12 > 0 flags for a C-SSRS; item 12 ≥ 2 is urgent (project default)."""
    assert score("qids_sr16", {n: 0 for n in range(1, 17)} | {12: item_12}).flags == flags


@pytest.mark.parametrize(("item_9", "flagged"), [(0, False), (1, True), (2, True), (3, True)])
def test_phq9_item_9_flags_regardless_of_total(item_9, flagged):
    """Item 9 above 0 raises phq9_item9_positive even when the total is minimal."""
    result = score("phq9", {n: 0 for n in range(1, 9)} | {9: item_9})
    assert result.severity == "minimal"
    assert ("phq9_item9_positive" in result.flags) is flagged


@pytest.mark.parametrize(
    ("level", "baseline", "flags"),
    [
        (5, 5, ()),
        (4, 5, ("sedation_present",)),
        (3, None, ()),
        (2, 2, ("moaas_urgent",)),
        (2, 5, ("sedation_present", "moaas_urgent")),
        (0, 5, ("sedation_present", "moaas_urgent", "moaas_critical")),
    ],
)
def test_moaas_flags_drop_from_pre_dose_and_low_levels(level, baseline, flags):
    """Any drop from the pre-dose level is sedation; ≤ 2 is urgent; 0 is critical."""
    assert score("moaas", {1: level}, baseline_total=baseline).flags == flags


@pytest.mark.parametrize(
    ("level", "flags"),
    [(-5, ("rass_sedation_alert",)), (-3, ("rass_sedation_alert",)), (-2, ()), (1, ()), (2, ("rass_agitation_alert",))],
)
def test_rass_flags_at_project_default_levels(level, flags):
    """RASS ≤ -3 or ≥ +2 raises an alert (project default)."""
    assert score("rass", {1: level}).flags == flags


def test_rating_course_refuses_a_scale_with_several_items():
    """Session courses are for single-level observation scales."""
    with pytest.raises(RuleViolation) as raised:
        rating_course("phq9", pre_dose=3, ratings=[1])
    assert raised.value.code == "not_a_single_level_scale"


def test_rating_course_unresolved_when_the_latest_rating_still_flags():
    """A session whose last MOAA/S is below pre-dose is not resolved."""
    course = rating_course("moaas", pre_dose=5, ratings=[4, 2, 4])
    assert (course.worst_level, course.resolved) == (2, False)
    assert course.flags == ("sedation_present", "moaas_urgent")


# --- C-SSRS branching and banding ------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "band"),
    [
        ({1: 0, 2: 0, 6: 0}, "no_positive_response"),
        ({1: 1, 2: 0, 6: 0}, "low"),
        ({1: 0, 2: 1, 3: 0, 4: 0, 5: 0, 6: 0}, "low"),
        ({1: 1, 2: 1, 3: 1, 4: 0, 5: 0, 6: 0}, "moderate"),
        ({1: 0, 2: 0, 6: 1, 7: 0}, "moderate"),
        ({1: 1, 2: 1, 3: 0, 4: 1, 5: 0, 6: 0}, "high"),
        ({1: 1, 2: 1, 3: 0, 4: 0, 5: 1, 6: 0}, "high"),
        ({1: 0, 2: 0, 6: 1, 7: 1}, "high"),
    ],
)
def test_cssrs_screener_band_is_the_highest_triggered(answers, band):
    """Low: Q1/Q2; moderate: Q3 or behaviour > 3 months; high: Q4/Q5 or behaviour ≤ 3 months."""
    assert score("cssrs_screener", answers).severity == band


def test_cssrs_screener_all_no_is_not_labelled_no_risk():
    """All answers no is 'no positive response', never 'no risk', and raises no flag."""
    result = score("cssrs_screener", {1: 0, 2: 0, 6: 0})
    assert result.severity_label is not None
    assert "not" in result.severity_label
    assert result.flags == ()


def test_cssrs_screener_skipped_questions_are_not_asked_not_no():
    """Q2 = no skips Q3-Q5: they are stored as not asked, with no value."""
    result = score("cssrs_screener", {1: 0, 2: 0, 6: 0})
    assert all(result.item_status[n] is ItemStatus.NOT_ASKED for n in (3, 4, 5, 7))
    assert all(result.answers[n] is None for n in (3, 4, 5, 7))


@pytest.mark.parametrize(
    ("answers", "item"),
    [({1: 0, 2: 0, 3: 0, 6: 0}, 3), ({1: 0, 2: 0, 6: 0, 7: 1}, 7)],
)
def test_cssrs_screener_rejects_an_answer_to_a_skipped_question(answers, item):
    """Answering Q3 after Q2 = no, or Q6b after Q6 = no, is a form error."""
    with pytest.raises(RuleViolation) as raised:
        score("cssrs_screener", answers)
    assert raised.value.code == "answer_to_skipped_item"
    assert raised.value.field == f"item_{item}"


def test_cssrs_screener_band_with_missing_answers_is_a_minimum():
    """Q1 yes with the rest unanswered: at least low, incomplete, and safety_item_missing."""
    result = score("cssrs_screener", {1: 1})
    assert result.severity == "low"
    assert result.completeness is Completeness.INCOMPLETE
    assert result.flags == ("cssrs_risk_low", "safety_item_missing")
    assert any("Band is a minimum" in reason for reason in result.reasons)


def test_cssrs_screener_no_band_when_missing_answers_could_still_raise_it():
    """Q1 and Q2 no but Q6 unanswered: no band is claimed."""
    result = score("cssrs_screener", {1: 0, 2: 0})
    assert result.severity is None
    assert result.flags == ("safety_item_missing",)


def test_cssrs_screener_records_the_form_version_used():
    """The since-last-contact form scores alike and records its version."""
    result = score("cssrs_screener", {1: 0, 2: 0, 6: 0}, version="screener-since-last-contact")
    assert result.instrument_version == "screener-since-last-contact"
    assert score("cssrs_screener", {1: 0, 2: 0, 6: 0}).instrument_version == "screener-recent"


# --- partial answers -------------------------------------------------------------------------


def test_phq9_missing_scored_item_leaves_total_empty():
    """No silent imputation: a missing item gives no total, no band and unknown screens."""
    result = score("phq9", PHQ9_EXAMPLE | {4: None})
    assert result.total is None
    assert result.severity is None
    assert result.completeness is Completeness.INCOMPLETE
    assert result.missing_items == (4,)
    assert result.screens["positive_screen"] is None
    assert result.flags == ("phq9_item9_positive",)


def test_phq9_unanswered_difficulty_item_does_not_make_it_incomplete():
    """Item 10 is stored but never scored or required."""
    result = score("phq9", PHQ9_EXAMPLE)
    assert result.item_status[10] is ItemStatus.UNANSWERED
    assert result.completeness is Completeness.COMPLETE
    with_item_10 = score("phq9", PHQ9_EXAMPLE | {10: 3})
    assert with_item_10.total == 14


def test_phq9_safety_item_is_evaluated_when_total_is_incomplete():
    """Item 9 answered but item 2 missing: no total, flag still raised."""
    result = score("phq9", {9: 2})
    assert result.total is None
    assert result.flags == ("phq9_item9_positive",)


def test_phq9_missing_item_9_raises_safety_item_missing():
    """An unanswered item 9 raises safety_item_missing, never a silent pass."""
    result = score("phq9", {n: 0 for n in range(1, 9)})
    assert result.total is None
    assert result.flags == ("safety_item_missing",)


def test_phq9_prorates_only_when_the_clinic_allows_it():
    """prorate_max_missing = 1: one missing item → round half up of mean x 9, 'prorated'."""
    answers = PHQ9_EXAMPLE | {9: None}
    assert score("phq9", answers).total is None
    prorated = score("phq9", answers, {"prorate_max_missing": 1})
    assert prorated.total == 15  # 13/8 x 9 = 14.625
    assert prorated.completeness is Completeness.PRORATED
    assert prorated.severity == "moderately_severe"
    assert prorated.flags == ("safety_item_missing",)
    too_many = score("phq9", answers | {8: None}, {"prorate_max_missing": 1})
    assert too_many.total is None


def test_phq9_proration_rounds_half_up():
    """A prorated 4.5 reads 5 (half up), not 4 (Python's half-to-even)."""
    answers = numbered([1, 1, 1, 1, 0, 0, 0, 0])  # 4/8 x 9 = 4.5
    assert score("phq9", answers, {"prorate_max_missing": 1}).total == 5


def test_qids_sr16_unanswered_appetite_partner_counts_as_zero_by_default():
    """Answering items 6 and 8 but not their partners 7 and 9 still scores the appetite/weight domain."""
    answers = numbered([1, 3, 0, 0, 2, 2, None, 1, None, 2, 1, 1, 2, 2, 1, 2])
    result = score("qids_sr16", answers)
    assert result.total == 17
    assert result.completeness is Completeness.COMPLETE
    strict = score("qids_sr16", answers, {"appetite_weight_partner_missing_as_zero": False})
    assert strict.total is None
    assert strict.completeness is Completeness.INCOMPLETE


def test_qids_sr16_domain_with_no_answer_leaves_total_empty():
    """Items 6-9 all unanswered: the domain is missing and so is the total."""
    answers = numbered([1, 3, 0, 0, 2, None, None, None, None, 2, 1, 1, 2, 2, 1, 2])
    result = score("qids_sr16", answers)
    assert result.total is None
    assert result.subscales["appetite_weight"] is None
    assert result.subscales["sleep"] == 3


def test_qids_sr16_missing_item_12_raises_safety_item_missing():
    """Item 12 is a safety item: unanswered, it is flagged."""
    result = score("qids_sr16", {n: 0 for n in range(1, 17) if n != 12})
    assert result.total is None
    assert result.flags == ("safety_item_missing",)


def test_pcl5_cluster_rule_needs_every_item_of_the_clusters():
    """One missing B item: no total, no cluster B score, DSM-5 rule unknown."""
    answers = PCL5_EXAMPLE | {5: None}
    result = score("pcl5", answers)
    assert result.total is None
    assert result.subscales["cluster_b"] is None
    assert result.subscales["cluster_e"] == 13
    assert result.screens == {"provisional_ptsd_cutoff": None, "provisional_ptsd_dsm5": None}


def test_pcl5_dsm5_rule_fails_when_a_complete_cluster_fails():
    """A complete cluster C with nothing at 2 or more fails the rule even if B is incomplete."""
    answers = {n: 2 for n in range(1, 21)} | {6: 1, 7: 1, 1: None}
    assert score("pcl5", answers).screens["provisional_ptsd_dsm5"] is False


def test_audit_c_never_drinking_skips_items_2_and_3_as_zero():
    """Item 1 = never: items 2-3 are not asked and count as 0 (configurable)."""
    result = score("audit_c", {1: 0})
    assert result.total == 0
    assert result.completeness is Completeness.COMPLETE
    assert result.item_status[2] is ItemStatus.NOT_ASKED
    assert result.item_values[2] == 0


def test_audit_c_skip_rule_can_be_turned_off():
    """With the skip setting off, items 2-3 are always required."""
    result = score("audit_c", {1: 0}, {"skip_when_never": False})
    assert result.total is None
    assert result.missing_items == (2, 3)


def test_audit_c_rejects_drinking_answers_after_never():
    """Never drinking but 5-6 drinks on a typical day contradicts the skip."""
    with pytest.raises(RuleViolation) as raised:
        score("audit_c", {1: 0, 2: 2})
    assert raised.value.code == "answer_to_skipped_item"
    assert score("audit_c", {1: 0, 2: 0, 3: 0}).total == 0


def test_audit_c_missing_item_after_drinking_is_incomplete():
    """Item 1 above never: items 2-3 are asked and required."""
    result = score("audit_c", {1: 2, 3: 0})
    assert (result.total, result.completeness, result.missing_items) == (None, Completeness.INCOMPLETE, (2,))


def test_who5_missing_item_leaves_percentage_empty():
    """All 5 items are required unless the clinic allows proration."""
    result = score("who5", {1: 3, 2: 2, 3: 2, 4: 1})
    assert result.total is None
    assert result.derived_scores["percentage"] is None
    assert result.screens["poor_wellbeing"] is None
    prorated = score("who5", {1: 3, 2: 2, 3: 2, 4: 1}, {"prorate_max_missing": 1})
    assert (prorated.total, prorated.derived_scores["percentage"]) == (10, 40)


def test_who5_any_item_low_screen_is_off_unless_enabled():
    """The unconfirmed 'any item 0 or 1' screen only runs when the clinic turns it on."""
    answers = numbered([3, 2, 2, 1, 3])
    assert "any_item_low" not in score("who5", answers).screens
    assert score("who5", answers, {"screen_any_item_low": True}).screens["any_item_low"] is True


def test_single_level_scale_without_a_rating_is_incomplete():
    """An empty MOAA/S gives no level and no flags."""
    result = score("moaas", {})
    assert (result.total, result.completeness, result.flags) == (None, Completeness.INCOMPLETE, ())


# --- invalid input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "answers", "error_code", "field"),
    [
        ("phq2", {3: 1}, "unknown_item", "item_3"),
        ("phq9", {0: 1}, "unknown_item", "item_0"),
        ("phq9", {"1": 1}, "unknown_item", "item_1"),
        ("phq9", {True: 1}, "unknown_item", "item_True"),
        ("phq9", {1: 4}, "answer_not_an_option", "item_1"),
        ("phq9", {9: -1}, "answer_not_an_option", "item_9"),
        ("phq9", {2: "2"}, "answer_not_an_option", "item_2"),
        ("phq9", {2: 2.0}, "answer_not_an_option", "item_2"),
        ("phq9", {2: True}, "answer_not_an_option", "item_2"),
        ("madrs", {10: 7}, "answer_not_an_option", "item_10"),
        ("dast10", {3: 2}, "answer_not_an_option", "item_3"),
        ("cssrs_screener", {1: 2}, "answer_not_an_option", "item_1"),
        ("rass", {1: 5}, "answer_not_an_option", "item_1"),
        ("who5", {1: 6}, "answer_not_an_option", "item_1"),
    ],
)
def test_score_rejects_unknown_items_and_values_outside_the_options(code, answers, error_code, field):
    """Bad answers raise RuleViolation naming the item, never a silent score."""
    with pytest.raises(RuleViolation) as raised:
        score(code, answers)
    assert raised.value.code == error_code
    assert raised.value.field == field


def test_score_rejects_answers_that_are_not_a_mapping():
    """Answers must map item numbers to values."""
    with pytest.raises(RuleViolation) as raised:
        score("phq9", [1, 2, 3])  # type: ignore[arg-type]
    assert raised.value.code == "invalid_answers"


def test_score_raises_not_found_for_an_unknown_instrument():
    """An unknown code is NotFound with code instrument_not_found."""
    with pytest.raises(NotFound) as raised:
        score("beck", {1: 1})
    assert raised.value.code == "instrument_not_found"


@pytest.mark.parametrize(
    ("overrides", "error_code"),
    [
        ({"prorate_max_missing": 3}, "invalid_setting"),
        ({"prorate_max_missing": True}, "invalid_setting"),
        ({"prorate_max_missing": "1"}, "invalid_setting"),
        ({"prorate": 1}, "unknown_setting"),
    ],
)
def test_score_rejects_invalid_settings(overrides, error_code):
    """Overrides must name a declared setting and fit its type and range."""
    with pytest.raises(RuleViolation) as raised:
        score("phq9", PHQ9_EXAMPLE, overrides)
    assert raised.value.code == error_code


@pytest.mark.parametrize(
    ("kwargs", "error_code"),
    [
        ({"sex": "f"}, "invalid_sex"),
        ({"version": "phq9-1999"}, "unknown_instrument_version"),
        ({"baseline_total": 28}, "invalid_baseline_total"),
        ({"baseline_total": -1}, "invalid_baseline_total"),
    ],
)
def test_score_rejects_invalid_context(kwargs, error_code):
    """Sex, form version and baseline are checked like answers."""
    with pytest.raises(RuleViolation) as raised:
        score("phq9", PHQ9_EXAMPLE, **kwargs)
    assert raised.value.code == error_code


def test_score_rejects_a_baseline_for_an_instrument_without_total():
    """The C-SSRS has no total, so no change from baseline."""
    with pytest.raises(RuleViolation) as raised:
        score("cssrs_screener", {1: 0, 2: 0, 6: 0}, baseline_total=0)
    assert raised.value.code == "invalid_baseline_total"


# --- what the result records -----------------------------------------------------------------


def test_score_result_records_versions_settings_and_threshold_snapshot():
    """The result names the form and rule versions and snapshots the bands and cut-offs used."""
    result = score("phq9", PHQ9_EXAMPLE)
    assert result.instrument_code == "phq9"
    assert result.instrument_version == "phq9-2001"
    assert result.scoring_rule_version == "phq9-scoring-1"
    assert dict(result.settings) == {"prorate_max_missing": 0, "syndrome_item9_min": 2}
    assert result.thresholds["band_scheme"] == "phq9_kroenke2001"
    bands = [(b["key"], b["min"], b["max"]) for b in result.thresholds["bands"]]  # type: ignore[attr-defined]
    assert bands == [
        ("minimal", 0, 4),
        ("mild", 5, 9),
        ("moderate", 10, 14),
        ("moderately_severe", 15, 19),
        ("severe", 20, 27),
    ]
    assert result.thresholds["screens"]["positive_screen"] == "total ≥ 10"  # type: ignore[index]
    assert result.thresholds["flags"]["phq9_item9_positive"] == "item 9 > 0"  # type: ignore[index]


def test_score_result_reasons_explain_total_band_and_flags():
    """Reasons show the sum, the band with its range, and why each flag fired."""
    reasons = score("phq9", PHQ9_EXAMPLE).reasons
    assert any("Band moderate (Moderate, 10-14) for total 14" in reason for reason in reasons)
    assert any(reason.startswith("Flag phq9_item9_positive") and "answer 1" in reason for reason in reasons)


def test_score_result_is_immutable():
    """A result cannot be altered after scoring."""
    result = score("phq9", PHQ9_EXAMPLE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.total = 0  # type: ignore[misc]
    with pytest.raises(TypeError):
        result.subscales["phq2"] = 0  # type: ignore[index]


def test_score_result_keeps_raw_answers_beside_scored_values():
    """Raw answers are stored as given; item_values hold the values that counted."""
    result = score("dast10", {n: 1 for n in range(1, 11)})
    assert result.answers[3] == 1
    assert result.item_values[3] == 0
    assert result.total == 9
