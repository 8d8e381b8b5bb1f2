"""Trials a prescriber must review (a drug not coded, an augmentation agent typed as an
antidepressant) do not count toward treatment resistance until reviewed."""

from __future__ import annotations

from decimal import Decimal as D

from ketaclinic.core.antidepressants import drug_close_match
from ketaclinic.core.treatment_resistance import EpisodeSeverity, MaudsleyInputs, TrialRole, TrialStatus
from tests.core.steps import assess, trial

STAGING = MaudsleyInputs(episode_duration_months=D("6"), severity=EpisodeSeverity.MODERATE, ect_used=False)


def test_a_misspelt_drug_is_not_a_second_failed_trial():
    """'sertaline' is not coded: it is not counted, and sertraline is offered as the close match."""
    result = assess(trial("sertraline"), trial("sertaline"))
    assert result.failed_trial_count == 1
    assert result.failed_drugs == ("sertraline",)
    misspelt = result.trials[1]
    assert misspelt.status is TrialStatus.NOT_CODED
    assert "not counted: not coded — review" in misspelt.reasons
    assert "did you mean sertraline?" in misspelt.reasons
    assert result.meets_failed_trial_criterion is not True
    assert any(step.startswith("2. sertaline 150 mg/day, 8 weeks: not counted") for step in result.steps)
    assert "Failed adequate trials in the current episode: 1 (sertraline)" in result.steps


def test_an_augmentation_agent_typed_as_an_antidepressant_is_not_counted():
    result = assess(trial("sertraline"), trial("lithium", role=TrialRole.ANTIDEPRESSANT))
    assert result.failed_trial_count == 1
    lithium = result.trials[1]
    assert lithium.status is TrialStatus.AUGMENTATION_AGENT
    assert "not counted: an augmentation agent" in lithium.reasons
    # Review cannot turn lithium into an antidepressant: one failure is settled as not enough.
    assert result.meets_failed_trial_criterion is False


def test_a_not_coded_trial_that_could_be_a_new_drug_leaves_the_criterion_for_review():
    result = assess(trial("sertraline"), trial("Brainzol"))
    assert result.failed_trial_count == 1
    assert result.meets_failed_trial_criterion is None
    assert any("review" in step and "could change this" in step for step in result.steps)


def test_maudsley_staging_uses_the_same_count_as_the_criterion():
    """Three failures counted without the two under review: 3-4 failures = 2 points."""
    result = assess(
        trial("sertraline"), trial("fluoxetine"), trial("venlafaxine"), trial("sertaline"),
        trial("Abilify", role=TrialRole.ANTIDEPRESSANT), staging_inputs=STAGING,
    )  # fmt: skip
    assert result.failed_trial_count == 3
    assert result.staging is not None
    assert result.staging.failure_points == 2
    assert "Failed antidepressants 3: 3-4 = 2" in result.staging.steps


def test_the_close_match_comes_from_the_list_and_not_from_far_off_text():
    match = drug_close_match("Zolloft")
    assert match is not None and (match.name, match.concept.ingredient) == ("Zoloft", "sertraline")
    assert drug_close_match("Brainzol") is None
    assert drug_close_match("sertraline") is None  # already coded: nothing to suggest
