"""The same drug under a brand and a generic name is one trial (issue #10, item 10)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from ketaclinic.core.antidepressants import ANTIDEPRESSANTS, drug_by_code, drug_lookup, normalized_drug_text
from ketaclinic.core.treatment_resistance import TrialStatus
from tests.core.steps import assess, trial

LIST = Path(__file__).resolve().parents[2] / "ketaclinic/core/rules/antidepressants.yaml"


def test_sertraline_and_zoloft_count_as_one_failed_trial():
    """Zoloft is a brand of sertraline: the second trial is not counted, and the reason says so."""
    result = assess(trial("sertraline"), trial("Zoloft"))
    assert result.failed_trial_count == 1
    assert result.meets_failed_trial_criterion is False
    duplicate = result.trials[1]
    assert duplicate.status is TrialStatus.SAME_DRUG_ALREADY_COUNTED
    assert "same drug as trial 1 (sertraline): sertraline (RxNorm 36437) already counted in this episode" in (
        duplicate.reasons
    )
    assert any(
        step.startswith("2. Zoloft (sertraline) 150 mg/day, 8 weeks: not counted") and "same drug as trial 1" in step
        for step in result.steps
    )


def test_a_coded_trial_and_a_legacy_brand_text_count_once():
    """A trial coded from the list and an old free-text trial of its brand are the same drug."""
    result = assess(trial("Sertraline", drug_code="rxnorm:36437"), trial("Effexor XR"), trial("Lexapro 20 mg"))
    assert result.failed_trial_count == 3
    result = assess(trial("Zoloft 100mg"), trial("sertraline hydrochloride", drug_code=None))
    assert result.failed_trial_count == 1


@pytest.mark.parametrize(
    ("typed", "ingredient"),
    [
        ("Zoloft", "sertraline"),
        ("  PROZAC ", "fluoxetine"),
        ("Wellbutrin XL 300 mg", "bupropion"),
        ("escitalopram oxalate", "escitalopram"),
        ("Effexor-XR", "venlafaxine"),
        ("Pristiq", "desvenlafaxine"),
    ],
)
def test_brand_and_salt_names_map_to_their_ingredient(typed, ingredient):
    concept = drug_lookup(typed)
    assert concept is not None and concept.ingredient == ingredient


def test_similar_ingredients_stay_apart():
    """Escitalopram is not citalopram; desvenlafaxine is not venlafaxine."""
    assert drug_lookup("escitalopram") != drug_lookup("citalopram")
    assert drug_lookup("desvenlafaxine") != drug_lookup("venlafaxine")


def test_an_unknown_name_is_not_coded_not_counted_and_flagged():
    """A name not in the list is not counted until reviewed (a misspelling would be a second drug)."""
    result = assess(trial("Brainzol"), trial("brainzol  "), trial("sertraline"))
    assert result.failed_trial_count == 1
    assert [j.status for j in result.trials[:2]] == [TrialStatus.NOT_CODED, TrialStatus.NOT_CODED]
    assert [j.trial.drug for j in result.not_coded] == ["Brainzol", "brainzol  "]
    assert "not counted: not coded — review" in result.trials[0].reasons
    assert any(step.startswith("Not coded (not counted until reviewed):") for step in result.steps)
    # Both spellings are one unknown drug: a review could add one failure, so the criterion waits.
    assert result.meets_failed_trial_criterion is None


def test_unclear_trials_of_an_already_counted_brand_cannot_add_a_failure():
    """An unclear Zoloft trial cannot turn one failed sertraline trial into two."""
    result = assess(trial("sertraline"), trial("Zoloft", weeks_at_dose=None))
    assert result.meets_failed_trial_criterion is False


def test_the_list_has_codes_that_are_rxnorm_or_local_and_no_name_twice():
    document = yaml.safe_load(LIST.read_text())
    assert document["source"] and document["version"]
    codes = [d.code for d in ANTIDEPRESSANTS]
    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(r"rxnorm:\d+|local:[a-z ]+", code) for code in codes)
    for drug in ANTIDEPRESSANTS:
        assert drug_by_code(drug.code) is drug
        for name in (drug.ingredient, *drug.brands):
            assert drug_lookup(name) is drug
    assert normalized_drug_text("Sertraline HCl 50 mg tablet") == "sertraline"


def test_the_checked_rxnorm_ingredient_codes():
    """RXCUIs as the CPIC drug table gives them (RxNorm ingredient concepts)."""
    checked = {"sertraline": "36437", "fluoxetine": "4493", "escitalopram": "321988", "vortioxetine": "1455099"}
    for ingredient, rxcui in checked.items():
        concept = drug_lookup(ingredient)
        assert concept is not None and concept.code == f"rxnorm:{rxcui}"
