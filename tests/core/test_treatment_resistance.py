from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.core.treatment_resistance import (
    DEFINITION_VERSION,
    AntidepressantTrial,
    EpisodeSeverity,
    MaudsleyBand,
    MaudsleyInputs,
    MaudsleyStage,
    TreatmentResistanceSettings,
    TrialOutcome,
    TrialRole,
    TrialStatus,
    is_major_depressive_disorder_code,
    maudsley_stage,
)
from tests.core.steps import assess, trial

D = Decimal


# --- counting failed trials ---------------------------------------------------------------------


def test_treatment_resistance_zero_trials_is_not_trd():
    """With no prior trials nothing is counted and the criterion is not met."""
    result = assess()
    assert result.failed_trial_count == 0
    assert result.meets_failed_trial_criterion is False
    assert result.meets_definition is False
    assert result.steps == (
        "Trials listed: 0",
        "Failed adequate trials in the current episode: 0",
        "0 < 2 required: criterion not met",
    )


def test_treatment_resistance_two_adequate_failures_meet_definition():
    """Two different adequate failed antidepressants in this episode meet the definition."""
    result = assess(trial("sertraline"), trial("venlafaxine", daily_dose_mg=D("225")))
    assert result.failed_trial_count == 2
    assert result.failed_drugs == ("sertraline", "venlafaxine")
    assert result.meets_failed_trial_criterion is True
    assert result.meets_definition is True
    assert result.definition_version == DEFINITION_VERSION
    assert "2 >= 2 required: criterion met" in result.steps


def test_treatment_resistance_one_failure_is_below_threshold():
    """A single failed trial is one short of the two required."""
    result = assess(trial())
    assert result.failed_trial_count == 1
    assert result.meets_failed_trial_criterion is False


def test_treatment_resistance_shows_each_trial_and_why():
    """Each trial gets a numbered step saying whether it counted and why."""
    result = assess(trial(), trial("escitalopram", weeks_at_dose=D("3")))
    assert result.steps[1] == (
        "1. sertraline 150 mg/day, 8 weeks: counted (adequate dose; 8 >= 6 weeks; recorded as non-response)"
    )
    assert result.steps[2] == (
        "2. escitalopram 150 mg/day, 3 weeks: not counted (adequate dose; 3 < 6 weeks; recorded as non-response)"
    )


@pytest.mark.parametrize(("weeks", "counted"), [("5.9", False), ("6", True), ("6.1", True)])
def test_treatment_resistance_adequate_duration_boundary_is_six_weeks(weeks, counted):
    """A trial counts from exactly 6 weeks at an adequate dose."""
    result = assess(trial(weeks_at_dose=D(weeks)))
    expected = TrialStatus.COUNTED if counted else TrialStatus.TOO_SHORT
    assert result.trials[0].status is expected


def test_treatment_resistance_adequate_weeks_is_configurable():
    """With the EU-PEARL 4-week floor a 4-week trial counts."""
    settings = TreatmentResistanceSettings(adequate_weeks=D("4"))
    result = assess(trial(weeks_at_dose=D("4")), settings=settings)
    assert result.trials[0].status is TrialStatus.COUNTED
    assert result.settings is settings


def test_treatment_resistance_low_dose_is_not_a_failure():
    """A trial below an adequate dose does not count."""
    result = assess(trial(is_dose_adequate=False), trial("venlafaxine"))
    assert result.trials[0].status is TrialStatus.DOSE_NOT_ADEQUATE
    assert result.failed_trial_count == 1


def test_treatment_resistance_previous_episode_is_not_counted():
    """Failures in an earlier episode do not count towards the current one."""
    result = assess(trial(is_current_episode=False), trial("venlafaxine"))
    assert result.trials[0].status is TrialStatus.PREVIOUS_EPISODE
    assert result.meets_failed_trial_criterion is False


def test_treatment_resistance_non_adherent_trial_is_not_counted():
    """A trial not taken as prescribed is not a failure of the drug."""
    result = assess(trial(is_adherent=False))
    assert result.trials[0].status is TrialStatus.NOT_ADHERENT


def test_treatment_resistance_augmentation_is_not_an_extra_antidepressant():
    """An augmentation is recorded as such and does not add to the failure count."""
    result = assess(trial(), trial("aripiprazole", role=TrialRole.AUGMENTATION))
    assert result.trials[1].status is TrialStatus.AUGMENTATION
    assert result.failed_trial_count == 1
    assert result.meets_failed_trial_criterion is False


def test_treatment_resistance_same_drug_counts_once_per_episode():
    """Two failed trials of the same drug count once, whatever the spelling case."""
    result = assess(trial("Sertraline"), trial("sertraline ", daily_dose_mg=D("200")))
    assert result.failed_trial_count == 1
    assert result.trials[1].status is TrialStatus.SAME_DRUG_ALREADY_COUNTED


def test_treatment_resistance_early_intolerance_is_listed_separately():
    """A trial stopped for intolerance before 6 weeks is listed apart and not counted."""
    stopped = trial("escitalopram", weeks_at_dose=D("2"), stopped_for_intolerance=True)
    result = assess(trial(), stopped)
    assert result.failed_trial_count == 1
    assert [j.trial for j in result.stopped_for_intolerance] == [stopped]


def test_treatment_resistance_intolerance_after_adequate_trial_still_counts():
    """Stopping for side effects after an adequate non-responding trial is still a failure."""
    result = assess(trial(weeks_at_dose=D("8"), stopped_for_intolerance=True))
    assert result.trials[0].status is TrialStatus.COUNTED
    assert result.stopped_for_intolerance == ()


@pytest.mark.parametrize(
    ("improvement", "status"),
    [("0", TrialStatus.COUNTED), ("25", TrialStatus.COUNTED), ("25.1", TrialStatus.RESPONDED)],
)
def test_treatment_resistance_non_response_is_at_most_25_percent(improvement, status):
    """Up to and including 25 % improvement is non-response; more is not a failure."""
    result = assess(trial(outcome=TrialOutcome.UNKNOWN, improvement_percent=D(improvement)))
    assert result.trials[0].status is status


@pytest.mark.parametrize("outcome", [TrialOutcome.PARTIAL_RESPONSE, TrialOutcome.RESPONSE, TrialOutcome.REMISSION])
def test_treatment_resistance_responders_are_not_failures(outcome):
    """Partial response, response and remission are not failed trials."""
    result = assess(trial(outcome=outcome))
    assert result.trials[0].status is TrialStatus.RESPONDED


def test_treatment_resistance_conflicting_outcome_is_unclear():
    """A recorded non-response with 40 % improvement is unclear, not counted."""
    result = assess(trial(improvement_percent=D("40")))
    assert result.trials[0].status is TrialStatus.UNCLEAR
    assert "disagrees with the recorded outcome" in result.trials[0].reasons[-1]


@pytest.mark.parametrize(
    "changes",
    [
        {"is_current_episode": None},
        {"is_dose_adequate": None},
        {"weeks_at_dose": None},
        {"is_adherent": None},
        {"outcome": TrialOutcome.UNKNOWN},
    ],
)
def test_treatment_resistance_unrecorded_fact_makes_trial_unclear(changes):
    """A trial missing a fact the definition needs is unclear and not counted."""
    result = assess(trial(), trial("venlafaxine", **changes))
    assert result.trials[1].status is TrialStatus.UNCLEAR
    assert result.failed_trial_count == 1
    assert result.unclear_trial_count == 1
    assert result.meets_failed_trial_criterion is None
    assert result.meets_definition is None


def test_treatment_resistance_unclear_trial_that_cannot_change_answer_is_ignored():
    """One unclear trial cannot lift zero failures to two, so the criterion is not met."""
    result = assess(trial(is_adherent=None))
    assert result.meets_failed_trial_criterion is False


def test_treatment_resistance_definite_exclusion_beats_unknowns():
    """A previous-episode trial is excluded even if its dose adequacy is unrecorded."""
    result = assess(trial(is_current_episode=False, is_dose_adequate=None))
    assert result.trials[0].status is TrialStatus.PREVIOUS_EPISODE


@pytest.mark.parametrize(("has_mdd", "expected"), [(True, True), (False, False), (None, None)])
def test_treatment_resistance_definition_needs_mdd_diagnosis(has_mdd, expected):
    """The full definition also needs major depressive disorder; unknown stays unknown."""
    result = assess(trial(), trial("venlafaxine"), has_major_depressive_disorder=has_mdd)
    assert result.meets_failed_trial_criterion is True
    assert result.meets_definition is expected


@pytest.mark.parametrize(
    ("code", "is_mdd"),
    [("F33.1", True), ("f32.2 ", True), ("F33.41", True), ("F32.A", False), ("F31.0", False)],
)
def test_is_major_depressive_disorder_code_reads_codes_md(code, is_mdd):
    """MDD codes from codes.md are recognised; unspecified depression and bipolar are not."""
    assert is_major_depressive_disorder_code(code) is is_mdd


# --- Maudsley staging ---------------------------------------------------------------------------


def stage(**changes: Any) -> MaudsleyStage:
    arguments: dict[str, Any] = {
        "episode_duration_months": D("6"),
        "severity": EpisodeSeverity.MODERATE,
        "failed_antidepressants": 2,
        "augmentation_used": False,
        "ect_used": False,
    }
    return maudsley_stage(**(arguments | changes))


def test_maudsley_stage_worked_example_shows_each_parameter():
    """18 months, severe, 2 failures, augmentation, no ECT = 2+4+1+1+0 = 8, moderate."""
    result = stage(
        episode_duration_months=D("18"),
        severity=EpisodeSeverity.SEVERE_WITHOUT_PSYCHOSIS,
        augmentation_used=True,
    )
    assert result.total == 8
    assert result.band is MaudsleyBand.MODERATE
    assert result.steps == (
        "Episode duration 18 months: subacute (13-24 months) = 2",
        "Severity at baseline severe without psychosis = 4",
        "Failed antidepressants 2: 1-2 = 1",
        "Augmentation used: yes = 1",
        "ECT used: no = 0",
        "Total 2 + 4 + 1 + 1 + 0 = 8: moderate (7-10)",
    )


@pytest.mark.parametrize(("months", "points"), [("0", 1), ("12", 1), ("12.5", 2), ("24", 2), ("25", 3), ("120", 3)])
def test_maudsley_stage_duration_points(months, points):
    """Acute <= 12 months = 1, subacute 13-24 = 2, chronic > 24 = 3."""
    assert stage(episode_duration_months=D(months)).duration_points == points


@pytest.mark.parametrize(
    ("severity", "points"),
    [
        (EpisodeSeverity.SUBSYNDROMAL, 1),
        (EpisodeSeverity.MILD, 2),
        (EpisodeSeverity.MODERATE, 3),
        (EpisodeSeverity.SEVERE_WITHOUT_PSYCHOSIS, 4),
        (EpisodeSeverity.SEVERE_WITH_PSYCHOSIS, 5),
    ],
)
def test_maudsley_stage_severity_points(severity, points):
    """Severity scores 1 (subsyndromal) to 5 (severe with psychosis)."""
    assert stage(severity=severity).severity_points == points


@pytest.mark.parametrize(
    ("failures", "points"),
    [(1, 1), (2, 1), (3, 2), (4, 2), (5, 3), (6, 3), (7, 4), (10, 4), (11, 5), (30, 5)],
)
def test_maudsley_stage_failure_points(failures, points):
    """1-2 = 1, 3-4 = 2, 5-6 = 3, 7-10 = 4, more than 10 = 5."""
    assert stage(failed_antidepressants=failures).failure_points == points


@pytest.mark.parametrize(
    ("changes", "total", "band"),
    [
        ({"severity": EpisodeSeverity.SUBSYNDROMAL, "failed_antidepressants": 1}, 3, "mild"),
        ({"severity": EpisodeSeverity.SEVERE_WITHOUT_PSYCHOSIS}, 6, "mild"),
        ({"severity": EpisodeSeverity.SEVERE_WITH_PSYCHOSIS}, 7, "moderate"),
        ({"episode_duration_months": D("30"), "ect_used": True, "augmentation_used": True}, 9, "moderate"),
        ({"episode_duration_months": D("30"), "failed_antidepressants": 5, "ect_used": True}, 10, "moderate"),
        (
            {
                "episode_duration_months": D("30"),
                "failed_antidepressants": 5,
                "ect_used": True,
                "augmentation_used": True,
            },
            11,
            "severe",
        ),
        (
            {
                "episode_duration_months": D("30"),
                "severity": EpisodeSeverity.SEVERE_WITH_PSYCHOSIS,
                "failed_antidepressants": 11,
                "ect_used": True,
                "augmentation_used": True,
            },
            15,
            "severe",
        ),
    ],
)
def test_maudsley_stage_bands_at_their_boundaries(changes, total, band):
    """Mild 3-6, moderate 7-10, severe 11-15."""
    result = stage(**changes)
    assert (result.total, result.band.value) == (total, band)


def test_maudsley_stage_needs_at_least_one_failure():
    """The scale starts at one failed antidepressant, so zero is refused."""
    with pytest.raises(ValueError, match="starts at one"):
        stage(failed_antidepressants=0)


@given(
    st.decimals(min_value="0", max_value="240", places=1),
    st.sampled_from(list(EpisodeSeverity)),
    st.integers(1, 40),
    st.booleans(),
    st.booleans(),
)
def test_maudsley_stage_total_is_sum_of_parts_within_3_to_15(months, severity, failures, aug, ect):
    """The total is the sum of the five parameters and lies in 3-15."""
    result = maudsley_stage(
        episode_duration_months=months,
        severity=severity,
        failed_antidepressants=failures,
        augmentation_used=aug,
        ect_used=ect,
    )
    parts = (
        result.duration_points
        + result.severity_points
        + result.failure_points
        + result.augmentation_points
        + result.ect_points
    )
    assert result.total == parts
    assert 3 <= result.total <= 15


def test_treatment_resistance_staging_uses_counted_failures_and_augmentation():
    """Staging takes the failure count and augmentation from the trial list."""
    result = assess(
        trial("sertraline"),
        trial("venlafaxine"),
        trial("lithium", role=TrialRole.AUGMENTATION),
        staging_inputs=MaudsleyInputs(
            episode_duration_months=D("30"), severity=EpisodeSeverity.MODERATE, ect_used=True
        ),
    )
    assert result.staging is not None
    assert (result.staging.failure_points, result.staging.augmentation_points) == (1, 1)
    assert result.staging.total == 3 + 3 + 1 + 1 + 1
    assert "Maudsley Staging Method (informational):" in result.steps


def test_treatment_resistance_previous_episode_augmentation_does_not_stage():
    """An augmentation from an earlier episode does not score the augmentation point."""
    result = assess(
        trial(),
        trial("lithium", role=TrialRole.AUGMENTATION, is_current_episode=False),
        staging_inputs=MaudsleyInputs(D("6"), EpisodeSeverity.MODERATE, False),
    )
    assert result.staging is not None
    assert result.staging.augmentation_points == 0


def test_treatment_resistance_staging_not_assessed_when_a_fact_is_missing():
    """Staging is withheld, with the reason, when a staging fact is unrecorded."""
    result = assess(trial(), staging_inputs=MaudsleyInputs(D("6"), None, None))
    assert result.staging is None
    assert result.steps[-1] == ("Maudsley staging not assessed: baseline severity, ECT used not recorded")


def test_treatment_resistance_staging_not_assessed_without_failures():
    """With no failed trial the Maudsley scale does not apply and says so."""
    result = assess(staging_inputs=MaudsleyInputs(D("6"), EpisodeSeverity.MILD, False))
    assert result.staging is None
    assert "starts at one failed antidepressant" in result.steps[-1]


# --- properties ---------------------------------------------------------------------------------

trials_strategy = st.lists(
    st.builds(
        AntidepressantTrial,
        drug=st.sampled_from(["sertraline", "venlafaxine", "bupropion", "mirtazapine"]),
        daily_dose_mg=st.none() | st.decimals(min_value="1", max_value="400", places=0),
        weeks_at_dose=st.none() | st.decimals(min_value="0", max_value="30", places=1),
        is_dose_adequate=st.none() | st.booleans(),
        is_adherent=st.none() | st.booleans(),
        outcome=st.sampled_from(list(TrialOutcome)),
        is_current_episode=st.none() | st.booleans(),
        role=st.sampled_from(list(TrialRole)),
        improvement_percent=st.none() | st.decimals(min_value="-50", max_value="100", places=0),
        stopped_for_intolerance=st.booleans(),
    ),
    max_size=8,
)


@given(trials_strategy)
def test_treatment_resistance_count_matches_counted_trials_and_distinct_drugs(trials):
    """The failure count is the number of counted trials, each a different drug."""
    result = assess(*trials)
    counted = [j for j in result.trials if j.status is TrialStatus.COUNTED]
    assert result.failed_trial_count == len(counted)
    assert len({j.trial.drug_key for j in counted}) == len(counted)
    assert len(result.trials) == len(trials)
    for judgement in counted:
        assert judgement.trial.is_current_episode is True
        assert judgement.trial.role is TrialRole.ANTIDEPRESSANT
        assert judgement.trial.weeks_at_dose is not None
        assert judgement.trial.weeks_at_dose >= D("6")


@given(trials_strategy)
def test_treatment_resistance_criterion_is_never_met_below_two(trials):
    """The criterion is True only at two or more failures, and False never with two."""
    result = assess(*trials)
    if result.meets_failed_trial_criterion is True:
        assert result.failed_trial_count >= 2
    if result.failed_trial_count >= 2:
        assert result.meets_failed_trial_criterion is True
    if result.meets_failed_trial_criterion is None:
        assert result.unclear_trial_count >= 1
