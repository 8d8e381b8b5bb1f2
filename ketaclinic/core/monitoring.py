"""Check chair-side readings against the protocol's thresholds; every alert says why."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final

import yaml

MEASURES: Final = (
    "systolic_mmhg",
    "diastolic_mmhg",
    "heart_rate_bpm",
    "spo2_percent",
    "respiratory_rate",
    "moaas",
    "dissociation",
    "nausea",
)
UNITS: Final = {
    "systolic_mmhg": "mmHg",
    "diastolic_mmhg": "mmHg",
    "heart_rate_bpm": "bpm",
    "spo2_percent": "%",
    "respiratory_rate": "/min",
    "moaas": "",
    "dissociation": "",
    "nausea": "",
}
LABELS: Final = {
    "systolic_mmhg": "Systolic BP",
    "diastolic_mmhg": "Diastolic BP",
    "heart_rate_bpm": "Heart rate",
    "spo2_percent": "SpO2",
    "respiratory_rate": "Respiratory rate",
    "moaas": "Sedation (MOAA/S)",
    "dissociation": "Dissociation",
    "nausea": "Nausea",
}
# The nurse's bedside ratings for what protocols.md section 5 names but no device measures.
# Project scales, not validated instruments: the words are what the nurse chooses from.
RATINGS: Final = {
    "dissociation": {0: "none", 1: "mild", 2: "moderate", 3: "severe distress"},
    "nausea": {0: "none", 1: "nausea", 2: "vomiting"},
}
# Values no living patient or working monitor produces: a reading outside is refused as an error.
PLAUSIBLE: Final = {
    "systolic_mmhg": (40, 300),
    "diastolic_mmhg": (20, 200),
    "heart_rate_bpm": (20, 250),
    "spo2_percent": (50, 100),
    "respiratory_rate": (0, 60),
    "moaas": (0, 5),
    "dissociation": (0, 3),
    "nausea": (0, 2),
}


@dataclass(frozen=True, slots=True)
class ThresholdRule:
    id: str
    measure: str
    response: str
    above: int | None = None
    below: int | None = None
    at_most: int | None = None
    at_least: int | None = None
    rise_over_baseline: int | None = None
    # Compared with the last value before the dose started, not with the session's first value.
    drop_below_pre_dose: int | None = None
    finding: str = ""
    source: str = ""

    def crossed(self, value: int, baseline: int | None, pre_dose: int | None = None) -> str | None:
        """The limit crossed, in words, or None."""
        unit = UNITS[self.measure]
        if self.above is not None and value > self.above:
            return f"{value} {unit} is above {self.above} {unit}".strip()
        if self.below is not None and value < self.below:
            return f"{value} {unit} is below {self.below} {unit}".strip()
        if self.at_most is not None and value <= self.at_most:
            return f"{value} is at or below {self.at_most}"
        if self.at_least is not None and value >= self.at_least:
            words = RATINGS.get(self.measure, {})
            return f"{words.get(value, value)} is at or above {words.get(self.at_least, self.at_least)}"
        if self.rise_over_baseline is not None and baseline is not None and value - baseline > self.rise_over_baseline:
            return f"{value} {unit} is more than {self.rise_over_baseline} above the baseline {baseline}"
        if (
            self.drop_below_pre_dose is not None
            and pre_dose is not None
            and pre_dose - value > self.drop_below_pre_dose
        ):
            said = f"{value} {unit}".strip() + f", down from {f'{pre_dose} {unit}'.strip()} before the dose"
            return f"{said}: {self.finding}" if self.finding else said
        return None


@dataclass(frozen=True, slots=True)
class Thresholds:
    version: str
    source: str
    rules: tuple[ThresholdRule, ...]
    recheck_after_alert_minutes: int


@dataclass(frozen=True, slots=True)
class ThresholdAlert:
    rule_id: str
    measure: str
    value: int
    limit: str
    response: str
    version: str

    @property
    def message(self) -> str:
        return f"{LABELS[self.measure]}: {self.limit}. {self.response} (rule {self.rule_id}, {self.version})"


def load_thresholds() -> Thresholds:
    raw = yaml.safe_load(resources.files("ketaclinic.core.rules").joinpath("monitoring_thresholds.yaml").read_text())
    rules = tuple(ThresholdRule(**rule) for rule in raw["rules"])
    unknown = {rule.measure for rule in rules} - set(MEASURES)
    if unknown:
        raise ValueError(f"Thresholds name unknown measures: {sorted(unknown)}")
    return Thresholds(
        version=raw["version"],
        source=raw["source"],
        rules=rules,
        recheck_after_alert_minutes=int(raw["recheck_after_alert_minutes"]),
    )


THRESHOLDS: Final = load_thresholds()


def implausible(values: Mapping[str, Any]) -> list[str]:
    """Measures whose value cannot be real (a typo or a faulty probe)."""
    return [
        measure
        for measure, value in values.items()
        if measure in PLAUSIBLE and value is not None and not PLAUSIBLE[measure][0] <= value <= PLAUSIBLE[measure][1]
    ]


def check_reading(
    values: Mapping[str, int | None],
    *,
    baseline: Mapping[str, int | None],
    pre_dose: Mapping[str, int | None] | None = None,
    thresholds: Thresholds = THRESHOLDS,
) -> tuple[ThresholdAlert, ...]:
    """Alerts for one reading; ``pre_dose`` holds the levels before the dose, for a reading after it."""
    alerts = []
    pre_dose = pre_dose or {}
    for rule in thresholds.rules:
        value = values.get(rule.measure)
        if value is None:
            continue
        limit = rule.crossed(value, baseline.get(rule.measure), pre_dose.get(rule.measure))
        if limit is not None:
            alerts.append(ThresholdAlert(rule.id, rule.measure, value, limit, rule.response, thresholds.version))
    return tuple(alerts)
