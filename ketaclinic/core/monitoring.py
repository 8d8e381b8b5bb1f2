"""Check chair-side readings against the protocol's thresholds; every alert says why."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from typing import Any, Final

import yaml

Translate = Callable[[str], str]


def as_written(message: str) -> str:
    """The words as this module writes them (English): the default when no translation is asked for."""
    return message


def gettext_noop(message: str) -> str:
    """Marks words for the translation catalogue (``makemessages`` reads the name) and returns them as they are.

    The core imports no Django: the words are translated where they are shown, by passing
    Django's ``gettext`` to the function that renders them.
    """
    return message


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
    "systolic_mmhg": gettext_noop("Systolic BP"),
    "diastolic_mmhg": gettext_noop("Diastolic BP"),
    "heart_rate_bpm": gettext_noop("Heart rate"),
    "spo2_percent": gettext_noop("SpO2"),
    "respiratory_rate": gettext_noop("Respiratory rate"),
    "moaas": gettext_noop("Sedation (MOAA/S)"),
    "dissociation": gettext_noop("Dissociation"),
    "nausea": gettext_noop("Nausea"),
}
# The nurse's bedside ratings for what protocols.md section 5 names but no device measures.
# Project scales, not validated instruments: the words are what the nurse chooses from.
RATINGS: Final = {
    "dissociation": {
        0: gettext_noop("none"),
        1: gettext_noop("mild"),
        2: gettext_noop("moderate"),
        3: gettext_noop("severe distress"),
    },
    "nausea": {0: gettext_noop("none"), 1: gettext_noop("nausea"), 2: gettext_noop("vomiting")},
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


class Limit(StrEnum):
    """How a rule's limit is crossed; the rule's field of the same name holds the threshold."""

    ABOVE = "above"
    BELOW = "below"
    AT_MOST = "at_most"
    AT_LEAST = "at_least"
    RISE_OVER_BASELINE = "rise_over_baseline"
    # Compared with the last value before the dose started, not with the session's first value.
    DROP_BELOW_PRE_DOSE = "drop_below_pre_dose"


@dataclass(frozen=True, slots=True)
class Crossing:
    """A limit a value crossed: its kind, the rule's threshold, and the level compared with.

    ``compared_with`` is the session's baseline (a rise) or the level before the dose (a drop);
    None for the limits that stand alone.
    """

    kind: Limit
    threshold: int
    compared_with: int | None = None


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

    def crossing(self, value: int, baseline: int | None, pre_dose: int | None = None) -> Crossing | None:
        """The limit this value crosses, as data, or None."""
        if self.above is not None and value > self.above:
            return Crossing(Limit.ABOVE, self.above)
        if self.below is not None and value < self.below:
            return Crossing(Limit.BELOW, self.below)
        if self.at_most is not None and value <= self.at_most:
            return Crossing(Limit.AT_MOST, self.at_most)
        if self.at_least is not None and value >= self.at_least:
            return Crossing(Limit.AT_LEAST, self.at_least)
        if self.rise_over_baseline is not None and baseline is not None and value - baseline > self.rise_over_baseline:
            return Crossing(Limit.RISE_OVER_BASELINE, self.rise_over_baseline, baseline)
        if (
            self.drop_below_pre_dose is not None
            and pre_dose is not None
            and pre_dose - value > self.drop_below_pre_dose
        ):
            return Crossing(Limit.DROP_BELOW_PRE_DOSE, self.drop_below_pre_dose, pre_dose)
        return None


@dataclass(frozen=True, slots=True)
class Thresholds:
    version: str
    source: str
    rules: tuple[ThresholdRule, ...]
    recheck_after_alert_minutes: int

    def rule(self, rule_id: str) -> ThresholdRule | None:
        return next((rule for rule in self.rules if rule.id == rule_id), None)


@dataclass(frozen=True, slots=True)
class ThresholdAlert:
    """A rule a reading crossed, as data: the sentence is rendered from it where it is shown.

    ``response`` and ``finding`` are the clinic's words from the rules file and stay as written.
    """

    rule_id: str
    measure: str
    value: int
    kind: Limit
    threshold: int
    response: str
    version: str
    compared_with: int | None = None
    finding: str = ""

    @property
    def limit(self) -> str:
        """The limit crossed, in words (as written)."""
        return limit_words(self)

    @property
    def message(self) -> str:
        """The alert's sentence, as written; ``alert_sentence`` renders it in another language."""
        return alert_sentence(self)


def _amount(value: int | None, measure: str) -> str:
    return f"{value} {UNITS[measure]}".strip()


def limit_words(alert: ThresholdAlert, gettext: Translate = as_written) -> str:
    """The limit an alert's value crossed, in words: "89 % is below 92 %"."""
    value, threshold = alert.value, alert.threshold
    if alert.kind is Limit.ABOVE:
        return gettext("%(value)s is above %(threshold)s") % {
            "value": _amount(value, alert.measure),
            "threshold": _amount(threshold, alert.measure),
        }
    if alert.kind is Limit.BELOW:
        return gettext("%(value)s is below %(threshold)s") % {
            "value": _amount(value, alert.measure),
            "threshold": _amount(threshold, alert.measure),
        }
    if alert.kind is Limit.AT_MOST:
        return gettext("%(value)s is at or below %(threshold)s") % {"value": value, "threshold": threshold}
    if alert.kind is Limit.AT_LEAST:
        words = RATINGS.get(alert.measure, {})
        return gettext("%(value)s is at or above %(threshold)s") % {
            "value": gettext(words[value]) if value in words else value,
            "threshold": gettext(words[threshold]) if threshold in words else threshold,
        }
    if alert.kind is Limit.RISE_OVER_BASELINE:
        return gettext("%(value)s is more than %(threshold)s above the baseline %(baseline)s") % {
            "value": _amount(value, alert.measure),
            "threshold": threshold,
            "baseline": alert.compared_with,
        }
    said = gettext("%(value)s, down from %(pre_dose)s before the dose") % {
        "value": _amount(value, alert.measure),
        "pre_dose": _amount(alert.compared_with, alert.measure),
    }
    return f"{said}: {alert.finding}" if alert.finding else said


def alert_sentence(alert: ThresholdAlert, gettext: Translate = as_written) -> str:
    """The alert as a nurse reads it: measure, limit crossed, the rule's response, rule and version.

    ``gettext`` translates the words this module writes (pass Django's to render in the
    reader's language); the rule's response and finding are clinic data and stay as written.
    """
    return gettext("%(measure)s: %(limit)s. %(response)s (rule %(rule)s, %(version)s)") % {
        "measure": gettext(LABELS[alert.measure]),
        "limit": limit_words(alert, gettext),
        "response": alert.response,
        "rule": alert.rule_id,
        "version": alert.version,
    }


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
        crossing = rule.crossing(value, baseline.get(rule.measure), pre_dose.get(rule.measure))
        if crossing is not None:
            alerts.append(
                ThresholdAlert(
                    rule_id=rule.id,
                    measure=rule.measure,
                    value=value,
                    kind=crossing.kind,
                    threshold=crossing.threshold,
                    response=rule.response,
                    version=thresholds.version,
                    compared_with=crossing.compared_with,
                    finding=rule.finding if crossing.kind is Limit.DROP_BELOW_PRE_DOSE else "",
                )
            )
    return tuple(alerts)


@dataclass(frozen=True, slots=True)
class Baseline:
    """Each measure's first value in a session, from before the dose where any reading is.

    Per measure, so an entry with only a side effect or only a blood pressure does not leave the
    other measures without a baseline; once any reading is from before the dose started, only
    such readings count. The rise-over-baseline alerts and discharge compare to it. Readings
    are folded in one at a time, in any order: the earliest value of a measure is kept (of two
    at the same moment, the one folded in first).
    """

    dose_started_at: dt.datetime | None = None
    any_before_dose: bool = False
    # measure -> (measured_at, value): the earliest of every reading, and of those before the dose.
    first: Mapping[str, tuple[dt.datetime, int]] = field(default_factory=dict)
    first_before_dose: Mapping[str, tuple[dt.datetime, int]] = field(default_factory=dict)

    def with_reading(self, measured_at: dt.datetime, values: Mapping[str, int | None]) -> Baseline:
        before_dose = self.dose_started_at is not None and measured_at <= self.dose_started_at
        return Baseline(
            dose_started_at=self.dose_started_at,
            any_before_dose=self.any_before_dose or before_dose,
            first=_earliest(self.first, measured_at, values),
            first_before_dose=(
                _earliest(self.first_before_dose, measured_at, values) if before_dose else self.first_before_dose
            ),
        )

    @property
    def values(self) -> dict[str, int | None]:
        """The value of each measure new readings compare with; None where there is none yet."""
        first = self.first_before_dose if self.any_before_dose else self.first
        return {measure: first[measure][1] if measure in first else None for measure in MEASURES}


def _earliest(
    first: Mapping[str, tuple[dt.datetime, int]], measured_at: dt.datetime, values: Mapping[str, int | None]
) -> dict[str, tuple[dt.datetime, int]]:
    kept = dict(first)
    for measure in MEASURES:
        value = values.get(measure)
        if value is not None and (measure not in kept or measured_at < kept[measure][0]):
            kept[measure] = (measured_at, value)
    return kept


def session_baseline_of(
    readings: Iterable[tuple[dt.datetime, Mapping[str, int | None]]], dose_started_at: dt.datetime | None
) -> Baseline:
    """The baseline of a session's readings, each a (measured_at, values) pair."""
    baseline = Baseline(dose_started_at)
    for measured_at, values in readings:
        baseline = baseline.with_reading(measured_at, values)
    return baseline
