"""Rule facts that the record's numbers already answer are read from the numbers (issue #10, 4)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.core.eligibility import (
    ELIGIBILITY_THRESHOLDS,
    ConsultationFacts,
    EligibilitySettings,
    Route,
    RuleKind,
    evaluate,
)
from tests.core.steps import CLEAR

ON = dt.date(2026, 11, 30)


def _finding(facts: ConsultationFacts, route: Route, rule_id: str):  # type: ignore[no-untyped-def]
    return next((f for f in evaluate(facts, route).findings if f.rule_id == rule_id), None)


def test_severe_hypertension_reading_is_an_absolute_contraindication_for_ketamine():
    """BP 200/120 fires KET-CI-BP-HAZARD with the box unticked, and says which value it used."""
    facts = replace(CLEAR, baseline_systolic_mmhg=200, baseline_diastolic_mmhg=120, baseline_bp_measured_on=ON)
    assert facts.has_severe_uncontrolled_hypertension is False
    finding = _finding(facts, Route.IV, "KET-CI-BP-HAZARD")
    assert finding is not None and finding.kind is RuleKind.ABSOLUTE
    assert "BP 200/120 on 2026-11-30 is at or above 180/120 (severe hypertension)" in finding.reasons
    assert finding.evidence["baseline_systolic_mmhg"] == 200
    assert finding.evidence["baseline_diastolic_mmhg"] == 120


@pytest.mark.parametrize(
    ("systolic", "diastolic", "fires"),
    [(180, 80, True), (179, 119, False), (130, 120, True), (200, None, True), (None, 125, True)],
)
def test_severe_hypertension_boundary_is_either_limit_at_or_above(systolic, diastolic, fires):
    """Either reading at or above 180 systolic / 120 diastolic is enough on its own."""
    facts = replace(CLEAR, baseline_systolic_mmhg=systolic, baseline_diastolic_mmhg=diastolic)
    assert (_finding(facts, Route.IM, "KET-CI-BP-HAZARD") is not None) is fires


def test_severe_hypertension_ticked_box_still_counts_with_a_normal_reading():
    """The clinician's tick is kept: a normal reading on the day does not clear it."""
    facts = replace(CLEAR, has_severe_uncontrolled_hypertension=True)
    finding = _finding(facts, Route.IV, "KET-CI-BP-HAZARD")
    assert finding is not None
    assert finding.reasons == ("has_severe_uncontrolled_hypertension: yes",)


def test_severe_hypertension_without_a_reading_is_not_assessed():
    """With no BP recorded the value-based part cannot be cleared, so the rule is not assessed."""
    result = evaluate(replace(CLEAR, baseline_systolic_mmhg=None, baseline_diastolic_mmhg=None), Route.IV)
    not_assessed = next(n for n in result.not_assessed if n.rule_id == "KET-CI-BP-HAZARD")
    assert set(not_assessed.missing_facts) == {"baseline_systolic_mmhg", "baseline_diastolic_mmhg"}


def test_severe_hypertension_threshold_is_data_with_its_source_and_configurable():
    """The 180/120 limits come from the rules data with their source, and a clinic may lower them."""
    systolic = ELIGIBILITY_THRESHOLDS["severe_systolic_at_least_mmhg"]
    assert systolic.value == EligibilitySettings().severe_systolic_at_least_mmhg == 180
    assert ELIGIBILITY_THRESHOLDS["severe_diastolic_at_least_mmhg"].value == 120
    assert "2017 ACC/AHA" in systolic.source
    assert systolic.is_confirmed is False  # secondary sources only: stays clinic-configurable
    settings = EligibilitySettings(severe_systolic_at_least_mmhg=170)
    facts = replace(CLEAR, baseline_systolic_mmhg=172)
    result = evaluate(facts, Route.IV, settings)
    assert "KET-CI-BP-HAZARD" in {f.rule_id for f in result.findings}


def test_severe_hypertension_reading_on_esketamine_stays_the_relative_bp_finding():
    """The esketamine label has no BP contraindication: the reading raises ALL-REL-HTN there."""
    facts = replace(CLEAR, baseline_systolic_mmhg=200, baseline_diastolic_mmhg=120)
    result = evaluate(facts, Route.ESKETAMINE_NASAL_SPRAY)
    assert "ALL-REL-HTN" in {f.rule_id for f in result.findings}
    assert "KET-CI-BP-HAZARD" in result.not_for_route


@given(st.integers(60, 260), st.integers(30, 160))
def test_severe_hypertension_fires_exactly_when_a_limit_is_reached(systolic, diastolic):
    facts = replace(CLEAR, baseline_systolic_mmhg=systolic, baseline_diastolic_mmhg=diastolic)
    fired = _finding(facts, Route.IV, "KET-CI-BP-HAZARD") is not None
    assert fired is (systolic >= 180 or diastolic >= 120)


def test_audit_c_total_above_zero_means_drinks_alcohol_despite_an_unticked_box():
    """An AUDIT-C of 2 (below the positive screen) still means alcohol: INT-CNS-DEP fires."""
    facts = replace(CLEAR, audit_c_total=2, audit_c_completed_on=dt.date(2026, 11, 28), drinks_alcohol=False)
    finding = _finding(facts, Route.IV, "INT-CNS-DEP")
    assert finding is not None
    assert finding.reasons == (
        "audit_c_total 2 on 2026-11-28 >= 1 (setting audit_c_drinks_alcohol_at_least: drinks alcohol)",
    )
    assert _finding(facts, Route.IV, "ALL-REL-SUD") is None


def test_audit_c_zero_with_drinking_ticked_still_fires_the_interaction():
    """The ticked box counts even when the screen says never."""
    facts = replace(CLEAR, audit_c_total=0, drinks_alcohol=True)
    assert _finding(facts, Route.IV, "INT-CNS-DEP") is not None


def test_stored_dast10_score_fires_substance_use_with_its_date():
    """DAST-10 4 fires ALL-REL-SUD with the box 'no', naming the score's date."""
    facts = replace(
        CLEAR, dast10_total=4, dast10_completed_on=dt.date(2026, 11, 2), has_current_substance_use_disorder=False
    )
    finding = _finding(facts, Route.IV, "ALL-REL-SUD")
    assert finding is not None
    assert finding.reasons == ("dast10_total 4 on 2026-11-02 >= 3 (setting dast10_at_least)",)


def test_audit_c_positive_screen_names_its_date():
    facts = replace(CLEAR, sex=None, audit_c_total=3, audit_c_completed_on=dt.date(2026, 11, 2))
    finding = _finding(facts, Route.IV, "ALL-REL-SUD")
    assert finding is not None
    assert finding.reasons == (
        "audit_c_total 3 on 2026-11-02 >= 3 (setting audit_c_other_or_unknown_sex_at_least; sex not recorded)",
    )


def test_age_from_the_birth_date_names_the_day_it_was_computed_for():
    facts = replace(CLEAR, age_years=67, age_on=ON)
    finding = _finding(facts, Route.IV, "ALL-CAU-AGE")
    assert finding is not None
    assert finding.reasons == ("age_years 67 years on 2026-11-30 >= 65 years (setting older_adult_age_years)",)
