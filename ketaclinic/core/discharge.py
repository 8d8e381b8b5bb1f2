"""Discharge criteria after a dose: which are met, each with how we know.

The criteria and the tolerances for "vitals near baseline" are data in
``rules/discharge_criteria.yaml``. The record answers two criteria (vitals, observation time);
the nurse answers the rest at the chair. Nothing here discharges anyone: it reports, and the
nurse decides.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Final

import yaml


@dataclass(frozen=True, slots=True)
class Criterion:
    key: str
    label: str
    answered_by: str  # "record" or "nurse"


@dataclass(frozen=True, slots=True)
class DischargeRules:
    version: str
    source: str
    criteria: tuple[Criterion, ...]
    tolerances: Mapping[str, int]

    @property
    def nurse_criteria(self) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if c.answered_by == "nurse")


@dataclass(frozen=True, slots=True)
class Answer:
    ok: bool
    how: str


def load_discharge_rules() -> DischargeRules:
    raw = yaml.safe_load(resources.files("ketaclinic.core.rules").joinpath("discharge_criteria.yaml").read_text())
    criteria = tuple(Criterion(**c) for c in raw["criteria"])
    if {c.answered_by for c in criteria} - {"record", "nurse"}:
        raise ValueError("A discharge criterion is answered by the record or by the nurse.")
    return DischargeRules(
        version=raw["version"], source=raw["source"], criteria=criteria, tolerances=dict(raw["tolerances"])
    )


DISCHARGE_RULES: Final = load_discharge_rules()

_NEAR = (
    ("systolic_mmhg", "systolic", "mmHg"),
    ("diastolic_mmhg", "diastolic", "mmHg"),
    ("heart_rate_bpm", "HR", "bpm"),
)


def vitals_near_baseline(
    *,
    baseline: Mapping[str, int | None] | None,
    latest: Mapping[str, int | None] | None,
    latest_at: dt.datetime | None,
    now: dt.datetime,
    rules: DischargeRules = DISCHARGE_RULES,
) -> Answer:
    """Whether the latest reading is recent and close to the first; says which value is not."""
    if not baseline or not latest or latest_at is None:
        return Answer(False, "no pre-dose and latest readings to compare")
    tolerances = rules.tolerances
    age = now - latest_at
    if age > dt.timedelta(minutes=tolerances["latest_reading_within_minutes"]):
        return Answer(
            False,
            f"latest reading is {int(age.total_seconds() // 60)} min old; take one now "
            f"(must be within {tolerances['latest_reading_within_minutes']} min)",
        )
    problems, shown = [], []
    for measure, label, unit in _NEAR:
        before, after = baseline.get(measure), latest.get(measure)
        if before is None or after is None:
            problems.append(f"{label} missing")
            continue
        shown.append(f"{label} {after} vs {before}")
        if abs(after - before) > tolerances[measure]:
            problems.append(f"{label} {after} {unit} is more than {tolerances[measure]} from the baseline {before}")
    spo2 = latest.get("spo2_percent")
    if spo2 is None:
        problems.append("SpO2 missing")
    elif spo2 < tolerances["spo2_min_percent"]:
        problems.append(f"SpO2 {spo2} % is below {tolerances['spo2_min_percent']} %")
    if problems:
        return Answer(False, "; ".join(problems))
    return Answer(True, "; ".join(shown) + f"; SpO2 {spo2} %")


def observation_time_passed(*, dose_ended_at: dt.datetime | None, now: dt.datetime, minimum_minutes: int) -> Answer:
    """Whether the protocol's minimum observation time has run since the dose ended."""
    if dose_ended_at is None:
        return Answer(False, "the dose has not been recorded as ended")
    minutes = int((now - dose_ended_at).total_seconds() // 60)
    if minutes < minimum_minutes:
        return Answer(False, f"{minutes} of {minimum_minutes} min observed; {minimum_minutes - minutes} min to go")
    return Answer(True, f"{minutes} min observed (minimum {minimum_minutes})")
