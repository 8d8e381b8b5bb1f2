"""Change from baseline: percentage, response, remission and meaningful change (measures.md §6-7)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ketaclinic.core.errors import NotFound, RuleViolation
from ketaclinic.core.instruments import ChangeAssessment, OutcomeVerdict, assess_change


def verdict(assessment: ChangeAssessment, definition_id: str) -> OutcomeVerdict:
    found = assessment.verdict(definition_id)
    assert found is not None, definition_id
    return found


def remission(assessment: ChangeAssessment) -> OutcomeVerdict:
    found = assessment.remission
    assert found is not None
    return found


def test_assess_change_madrs_worked_example_at_24_hours_is_rapid_response_not_remission():
    """MADRS 32 → 15 at 24 h: 53.1%, response and rapid response, not remission."""
    assessment = assess_change("madrs", 32, 15, hours_after_first_dose=24)
    assert assessment.improvement_percent == Decimal("53.1")
    assert assessment.improvement_points == 17
    assert verdict(assessment, "response_50pct").met is True
    assert verdict(assessment, "rapid_response_24h").met is True
    assert verdict(assessment, "madrs_le10").met is False
    assert verdict(assessment, "madrs_le12_esketamine").met is False


def test_assess_change_madrs_end_of_induction_is_remission_under_both_definitions():
    """MADRS 32 → 9: 71.9%, response, remission under ≤ 10 and ≤ 12, both stored."""
    assessment = assess_change("madrs", 32, 9)
    assert assessment.improvement_percent == Decimal("71.9")
    assert verdict(assessment, "response_50pct").met is True
    assert verdict(assessment, "madrs_le10").met is True
    assert verdict(assessment, "madrs_le12_esketamine").met is True
    assert assessment.remission is not None
    assert assessment.remission.definition_id == "madrs_le10"


def test_assess_change_madrs_default_remission_definition_is_a_clinic_setting():
    """A clinic may make the esketamine ≤ 12 definition its default; 11 then counts."""
    classic = assess_change("madrs", 32, 11)
    esketamine = assess_change("madrs", 32, 11, settings={"remission_definition": "madrs_le12_esketamine"})
    assert remission(classic).met is False
    assert remission(esketamine).definition_id == "madrs_le12_esketamine"
    assert remission(esketamine).met is True


def test_assess_change_phq9_worked_example_is_response_without_remission():
    """PHQ-9 14 → 6: 57.1%, response, not remission (6 > 4), change 8 ≥ MCID 5."""
    assessment = assess_change("phq9", 14, 6)
    assert assessment.improvement_percent == Decimal("57.1")
    assert verdict(assessment, "response_50pct").met is True
    assert remission(assessment).met is False
    assert verdict(assessment, "phq9_mcid").met is True
    assert verdict(assessment, "phq9_worsening").met is False


def test_assess_change_verdict_shows_its_definition_and_source():
    """Each verdict carries the definition text, source, id and version beside it."""
    response = assess_change("phq9", 14, 6).response
    assert response is not None
    assert response.definition_id == "response_50pct"
    assert response.definition_version == "1"
    assert "50%" in response.definition
    assert response.source
    assert response.threshold == "improvement ≥ 50%"


@pytest.mark.parametrize(
    ("baseline", "current", "met"),
    [(20, 10, True), (20, 11, False), (15, 7, True), (15, 8, False)],
)
def test_assess_change_response_boundary_is_exactly_half(baseline, current, met):
    """A 50% fall is a response; 49.x% is not (no rounding before comparing)."""
    assert verdict(assess_change("phq9", baseline, current), "response_50pct").met is met


@pytest.mark.parametrize(("current", "met"), [(4, True), (5, False)])
def test_assess_change_phq9_remission_boundary(current, met):
    """PHQ-9 remission is < 5, stored as ≤ 4."""
    assert remission(assess_change("phq9", 20, current)).met is met


@pytest.mark.parametrize(("current", "met"), [(5, True), (6, False)])
def test_assess_change_qids_sr16_remission_boundary(current, met):
    """QIDS-SR16 remission is ≤ 5 (STAR*D)."""
    assert remission(assess_change("qids_sr16", 20, current)).met is met


def test_assess_change_gad7_remission_cut_off_is_configurable():
    """GAD-7 remission (< 5, unconfirmed) is a setting with default 4."""
    assert remission(assess_change("gad7", 12, 5)).met is False
    assert remission(assess_change("gad7", 12, 5, settings={"remission_max_total": 5})).met is True


def test_assess_change_baseline_zero_gives_no_response_verdict():
    """Percentage change is undefined when the baseline is 0."""
    assessment = assess_change("phq9", 0, 0)
    assert assessment.improvement_percent is None
    assert verdict(assessment, "response_50pct").met is None
    assert remission(assessment).met is True


def test_assess_change_who5_improvement_is_an_increase():
    """WHO-5: higher is better, so 11 → 14 is a 27.3% improvement and 12 percentage points."""
    assessment = assess_change("who5", 11, 14)
    assert assessment.improvement_percent == Decimal("27.3")
    assert assessment.improvement_points == 3
    assert verdict(assessment, "who5_meaningful_change").met is True
    assert assessment.response is None
    worse = assess_change("who5", 14, 11)
    assert worse.improvement_percent == Decimal("-21.4")
    assert verdict(worse, "who5_meaningful_worsening").met is True


@pytest.mark.parametrize(("hours", "met"), [(Decimal("19.9"), False), (20, True), (28, True), (29, False)])
def test_assess_change_rapid_response_needs_the_24_hour_window(hours, met):
    """Rapid response is a response rated 24 h ± 4 h after the first dose."""
    assessment = assess_change("qids_sr16", 20, 8, hours_after_first_dose=hours)
    assert verdict(assessment, "rapid_response_24h").met is met


def test_assess_change_leaves_rapid_response_out_without_timing():
    """Without the rating time no rapid-response verdict is claimed."""
    assert assess_change("madrs", 32, 15).rapid_response is None


def test_assess_change_phq9_worsening_alert_at_five_points():
    """A rise of 5 above the post-treatment low raises the worsening verdict."""
    assert verdict(assess_change("phq9", 4, 9), "phq9_worsening").met is True
    assert verdict(assess_change("phq9", 4, 8), "phq9_worsening").met is False


def test_assess_change_pcl5_reports_reliable_and_meaningful_change():
    """PCL-5 falls of 5 and 10 points are reliable and meaningful (configurable)."""
    assessment = assess_change("pcl5", 44, 36)
    assert verdict(assessment, "pcl5_reliable_change").met is True
    assert verdict(assessment, "pcl5_meaningful_change").met is False


@pytest.mark.parametrize(
    ("code", "baseline", "current", "error_code"),
    [
        ("phq9", 28, 3, "total_out_of_range"),
        ("phq9", 10, -1, "total_out_of_range"),
        ("cssrs_screener", 0, 0, "instrument_has_no_total"),
        ("rass", 0, -2, "no_direction_of_improvement"),
    ],
)
def test_assess_change_rejects_impossible_totals_and_scales(code, baseline, current, error_code):
    """Totals outside the range, and scales without a total or direction, are refused."""
    with pytest.raises(RuleViolation) as raised:
        assess_change(code, baseline, current)
    assert raised.value.code == error_code


def test_assess_change_unknown_instrument_is_not_found():
    """An unknown instrument code is NotFound."""
    with pytest.raises(NotFound):
        assess_change("hamd", 20, 10)
