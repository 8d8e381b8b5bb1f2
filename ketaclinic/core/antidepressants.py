"""The coded list of drugs a prior treatment trial names, with brand names mapped to ingredients.

The list is data (``rules/antidepressants.yaml``): each ingredient has an RxNorm ingredient
code where one was checked, else a local code, and its common US brand names. A trial recorded
as free text is matched by ingredient or brand, after dropping salt names, release suffixes and
strengths ("Wellbutrin XL 300 mg" is bupropion); text that matches nothing stays not coded.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Final

import yaml

__all__ = [
    "ANTIDEPRESSANTS",
    "ANTIDEPRESSANTS_SOURCE",
    "ANTIDEPRESSANTS_VERSION",
    "CloseMatch",
    "DrugConcept",
    "drug_by_code",
    "drug_close_match",
    "drug_lookup",
    "drug_names",
    "normalized_drug_text",
]


@dataclass(frozen=True, slots=True)
class DrugConcept:
    ingredient: str
    code: str  # "rxnorm:<RXCUI>" (checked) or "local:<ingredient>"
    drug_class: str
    brands: tuple[str, ...]

    @property
    def is_rxnorm(self) -> bool:
        return self.code.startswith("rxnorm:")

    @property
    def display(self) -> str:
        system, _sep, value = self.code.partition(":")
        return f"{self.ingredient} (RxNorm {value})" if system == "rxnorm" else f"{self.ingredient} (local code)"


# Words that name the salt, the release form or the strength, not the drug.
_NOT_THE_DRUG: Final = frozenset(
    {
        "hcl",
        "hydrochloride",
        "hydrobromide",
        "oxalate",
        "mesylate",
        "succinate",
        "maleate",
        "sulfate",
        "citrate",
        "carbonate",
        "fumarate",
        "besylate",
        "sodium",
        "er",
        "xr",
        "xl",
        "sr",
        "cr",
        "la",
        "odt",
        "mg",
        "tab",
        "tabs",
        "tablet",
        "tablets",
        "capsule",
        "capsules",
        "oral",
    }
)
_WORD: Final = re.compile(r"[^\W\d_]+|\d+(?:\.\d+)?", re.UNICODE)


def normalized_drug_text(text: str) -> str:
    """Lower-case words of the text, without punctuation, strengths, salts or release suffixes."""
    words = [w for w in _WORD.findall(text.casefold()) if w not in _NOT_THE_DRUG and not w[0].isdigit()]
    return " ".join(words)


def _load() -> tuple[str, str, tuple[DrugConcept, ...]]:
    text = resources.files("ketaclinic.core").joinpath("rules/antidepressants.yaml").read_text("utf-8")
    document = yaml.safe_load(text)
    drugs = tuple(
        DrugConcept(
            ingredient=str(item["ingredient"]),
            code=str(item["code"]),
            drug_class=str(item["class"]),
            brands=tuple(str(b) for b in item.get("brands") or ()),
        )
        for item in document["drugs"]
    )
    for drug in drugs:
        system, _sep, value = drug.code.partition(":")
        if system not in {"rxnorm", "local"} or not value or (system == "rxnorm" and not value.isdigit()):
            raise ValueError(f"antidepressants.yaml: bad code {drug.code!r} for {drug.ingredient}.")
    return str(document["version"]), " ".join(str(document["source"]).split()), drugs


ANTIDEPRESSANTS_VERSION, ANTIDEPRESSANTS_SOURCE, ANTIDEPRESSANTS = _load()


def _index(drugs: tuple[DrugConcept, ...]) -> tuple[Mapping[str, DrugConcept], Mapping[str, DrugConcept]]:
    by_code: dict[str, DrugConcept] = {}
    by_name: dict[str, DrugConcept] = {}
    for drug in drugs:
        if drug.code in by_code:
            raise ValueError(f"antidepressants.yaml: code {drug.code} listed twice.")
        by_code[drug.code] = drug
        for name in (drug.ingredient, *drug.brands):
            key = normalized_drug_text(name)
            if by_name.get(key, drug) is not drug:
                raise ValueError(f"antidepressants.yaml: {name!r} names two ingredients.")
            by_name[key] = drug
    return by_code, by_name


_BY_CODE, _BY_NAME = _index(ANTIDEPRESSANTS)


def drug_by_code(code: str) -> DrugConcept | None:
    return _BY_CODE.get(code.strip())


def drug_lookup(text: str) -> DrugConcept | None:
    """The ingredient a typed generic or brand name stands for, or None when not in the list."""
    return _BY_NAME.get(normalized_drug_text(text))


def drug_names() -> tuple[str, ...]:
    """Every ingredient and brand name, for a picker that maps brand names to ingredients."""
    return tuple(sorted({name for d in ANTIDEPRESSANTS for name in (d.ingredient, *d.brands)}, key=str.casefold))


# How alike a name not in the list must be to a listed one to be offered ("did you mean ...?").
# Only a suggestion for the prescriber to confirm, never a coding: 0.8 catches a dropped or
# doubled letter ("sertaline", "Zolloft") and leaves unrelated names alone.
CLOSE_MATCH_CUTOFF: Final = 0.8

_NAME_OF_KEY: Final = {normalized_drug_text(name): name for d in ANTIDEPRESSANTS for name in (d.ingredient, *d.brands)}


@dataclass(frozen=True, slots=True)
class CloseMatch:
    name: str  # the listed ingredient or brand name it resembles
    concept: DrugConcept


def drug_close_match(text: str) -> CloseMatch | None:
    """The listed name a drug not in the list most resembles, to offer; None when listed or nothing is close."""
    key = normalized_drug_text(text)
    if not key or key in _BY_NAME:
        return None
    found = difflib.get_close_matches(key, list(_NAME_OF_KEY), n=1, cutoff=CLOSE_MATCH_CUTOFF)
    if not found:
        return None
    return CloseMatch(name=_NAME_OF_KEY[found[0]], concept=_BY_NAME[found[0]])
