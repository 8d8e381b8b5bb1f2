"""Change from baseline on one scale: percentage change, response, remission, MCID.

Definitions come from each instrument's ``outcomes`` block (measures.md §6-7). Every verdict
carries its definition text, source, id and version beside the yes/no, so a stored verdict
explains itself and a later change of definition never rewrites it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from types import MappingProxyType

from ketaclinic.core.errors import RuleViolation
from ketaclinic.core.instruments.catalogue import load
from ketaclinic.core.instruments.conditions import Facts, SettingValue
from ketaclinic.core.instruments.definitions import (
    TOTAL,
    ChangeDirection,
    ChangeThreshold,
    Direction,
    Instrument,
)

ONE_DECIMAL = Decimal("0.1")


@dataclass(frozen=True, slots=True)
class OutcomeVerdict:
    """One definition applied to one baseline/current pair.

    ``met`` is ``None`` when the definition cannot be applied (baseline 0 for a
    percentage rule).
    """

    concept: str
    definition_id: str
    definition_version: str
    met: bool | None
    definition: str
    source: str
    threshold: str
    is_default: bool
    reason: str


@dataclass(frozen=True, slots=True)
class ChangeAssessment:
    instrument_code: str
    scoring_rule_version: str
    baseline_total: int
    current_total: int
    change_points: int
    improvement_points: int
    improvement_percent: Decimal | None
    verdicts: tuple[OutcomeVerdict, ...]
    settings: Mapping[str, SettingValue]
    reasons: tuple[str, ...]

    @property
    def response(self) -> OutcomeVerdict | None:
        return self._first("response")

    @property
    def remission(self) -> OutcomeVerdict | None:
        """The clinic's default remission definition; others are in ``verdicts``."""
        for verdict in self.verdicts:
            if verdict.concept == "remission" and verdict.is_default:
                return verdict
        return None

    @property
    def rapid_response(self) -> OutcomeVerdict | None:
        return self._first("rapid_response")

    def verdict(self, definition_id: str) -> OutcomeVerdict | None:
        for verdict in self.verdicts:
            if verdict.definition_id == definition_id:
                return verdict
        return None

    def _first(self, concept: str) -> OutcomeVerdict | None:
        for verdict in self.verdicts:
            if verdict.concept == concept:
                return verdict
        return None


def assess_change(
    code: str,
    baseline_total: int,
    current_total: int,
    *,
    settings: Mapping[str, object] | None = None,
    hours_after_first_dose: Decimal | int | None = None,
) -> ChangeAssessment:
    """Compare two totals of the same instrument against its published change definitions.

    ``hours_after_first_dose`` (time of the current rating after the first dose of the
    course ended) lets the rapid-response definition be judged; without it that verdict is
    left out.
    """
    instrument = load(code)
    effective = instrument.resolve_settings(settings)
    facts = Facts({}, frozenset(), {}, effective, None)
    for label, value in (("baseline_total", baseline_total), ("current_total", current_total)):
        _check_total(instrument, label, value)
    if instrument.direction is Direction.NEITHER:
        raise RuleViolation(
            f"{instrument.short_name} has no direction of improvement to measure change by.",
            code="no_direction_of_improvement",
        )
    sign = 1 if instrument.direction is Direction.HIGHER_IS_BETTER else -1
    improvement = sign * (current_total - baseline_total)
    exact_percent = None if baseline_total == 0 else Fraction(improvement * 100, baseline_total)
    percent = None if exact_percent is None else _one_decimal(exact_percent)
    formula = "(current - baseline) / baseline x 100" if sign == 1 else "(baseline - current) / baseline x 100"
    reasons = [
        f"{instrument.short_name}: baseline {baseline_total}, current {current_total}; "
        f"improvement {improvement:+d} points ({instrument.direction.value.replace('_', ' ')})."
    ]
    if percent is None:
        reasons.append("Percentage change undefined: the baseline is 0, so no response verdict.")
    else:
        reasons.append(f"Percentage improvement = {formula} = {percent}%.")

    verdicts: list[OutcomeVerdict] = []
    outcomes = instrument.outcomes
    if outcomes is not None:
        response_met: bool | None = None
        if outcomes.response is not None:
            definition = outcomes.response
            cut = definition.min_improvement_percent.resolve(facts)
            response_met = None if exact_percent is None else exact_percent >= cut
            verdicts.append(
                OutcomeVerdict(
                    concept="response",
                    definition_id=definition.id,
                    definition_version=definition.version,
                    met=response_met,
                    definition=definition.definition,
                    source=definition.source,
                    threshold=f"improvement ≥ {cut}%",
                    is_default=True,
                    reason=(
                        "undefined: baseline is 0"
                        if percent is None
                        else f"improvement {percent}% {'≥' if response_met else '<'} {cut}%"
                    ),
                )
            )
        default_remission = outcomes.default_remission
        if outcomes.default_remission_setting is not None:
            default_remission = str(effective[outcomes.default_remission_setting])
        for remission in outcomes.remission:
            cut = remission.max_total.resolve(facts)
            met = current_total <= cut
            verdicts.append(
                OutcomeVerdict(
                    concept="remission",
                    definition_id=remission.id,
                    definition_version=remission.version,
                    met=met,
                    definition=remission.definition,
                    source=remission.source,
                    threshold=f"total ≤ {cut}",
                    is_default=remission.id == default_remission,
                    reason=f"current total {current_total} {'≤' if met else '>'} {cut}",
                )
            )
        rapid = outcomes.rapid_response
        if rapid is not None and hours_after_first_dose is not None:
            hours = Decimal(hours_after_first_dose)
            low = rapid.target_hours - rapid.tolerance_hours
            high = rapid.target_hours + rapid.tolerance_hours
            in_window = low <= hours <= high
            met_rapid = (response_met if in_window else False) if response_met is not None else None
            verdicts.append(
                OutcomeVerdict(
                    concept="rapid_response",
                    definition_id=rapid.id,
                    definition_version=rapid.version,
                    met=met_rapid,
                    definition=rapid.definition,
                    source=rapid.source,
                    threshold=f"response at {low}-{high} h after the first dose",
                    is_default=True,
                    reason=(
                        f"rated {hours} h after the first dose "
                        f"({'inside' if in_window else 'outside'} {low}-{high} h); response "
                        f"{_verdict_word(response_met)}"
                    ),
                )
            )
        for change in outcomes.change_thresholds:
            verdicts.append(_change_verdict(instrument, change, baseline_total, current_total, facts))
    for verdict in verdicts:
        reasons.append(
            f"{verdict.concept.replace('_', ' ').capitalize()} ({verdict.definition_id}): "
            f"{verdict.reason} → {_verdict_word(verdict.met)}. Definition: "
            f"{verdict.definition} Source: {verdict.source}"
        )
    return ChangeAssessment(
        instrument_code=instrument.code,
        scoring_rule_version=instrument.scoring_rule_version,
        baseline_total=baseline_total,
        current_total=current_total,
        change_points=current_total - baseline_total,
        improvement_points=improvement,
        improvement_percent=percent,
        verdicts=tuple(verdicts),
        settings=MappingProxyType(dict(effective)),
        reasons=tuple(reasons),
    )


def _change_verdict(
    instrument: Instrument,
    change: ChangeThreshold,
    baseline_total: int,
    current_total: int,
    facts: Facts,
) -> OutcomeVerdict:
    factor = 1
    if change.score != TOTAL:
        factor = next(d.multiply for d in instrument.derived_scores if d.id == change.score)
    sign = 1 if instrument.direction is Direction.HIGHER_IS_BETTER else -1
    improvement = sign * (current_total - baseline_total) * factor
    moved = improvement if change.direction is ChangeDirection.IMPROVEMENT else -improvement
    cut = change.min_points.resolve(facts)
    met = moved >= cut
    unit = "points" if change.score == TOTAL else f"{change.score.replace('_', ' ')} points"
    return OutcomeVerdict(
        concept=change.direction.value,
        definition_id=change.id,
        definition_version=change.version,
        met=met,
        definition=change.definition,
        source=change.source,
        threshold=f"{change.direction.value} ≥ {cut} {unit}",
        is_default=True,
        reason=f"{change.direction.value} of {moved} {unit} {'≥' if met else '<'} {cut}",
    )


def _check_total(instrument: Instrument, label: str, value: object) -> None:
    span = instrument.total_range
    if span is None:
        raise RuleViolation(
            f"{instrument.short_name} has no total score to compare.",
            code="instrument_has_no_total",
        )
    if not isinstance(value, int) or isinstance(value, bool) or not span.contains(value):
        raise RuleViolation(
            f"{instrument.short_name}: {label.replace('_', ' ')} {value!r} is not a possible total ({span}).",
            code="total_out_of_range",
            field=label,
        )


def _one_decimal(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def _verdict_word(verdict: bool | None) -> str:
    return "unknown" if verdict is None else "met" if verdict else "not met"
