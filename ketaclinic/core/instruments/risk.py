"""Which scored answers must reach a clinician at once, and why.

A flag raises a risk finding when it fired on a safety item (PHQ-9 item 9, every C-SSRS
answer, QIDS item 12, MADRS item 10, ...) at any level above ``info``. The finding carries the
answers that triggered it, worded as the patient saw them, so the alert can say why. A safety
item left unanswered is a finding of its own: the software cannot tell that it was safe.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ketaclinic.core.instruments.conditions import Condition
from ketaclinic.core.instruments.consistency import SAFETY_ITEM_MISSING
from ketaclinic.core.instruments.definitions import FlagLevel, Instrument, TriggeredBands
from ketaclinic.core.instruments.scoring import ScoreResult


class RiskKind(StrEnum):
    POSITIVE = "positive"
    UNANSWERED = "unanswered"


@dataclass(frozen=True, slots=True)
class TriggeringAnswer:
    item: str
    topic: str
    answer: str
    value: int


@dataclass(frozen=True, slots=True)
class RiskFinding:
    kind: RiskKind
    flag: str
    level: str
    action: str
    source: str
    answers: tuple[TriggeringAnswer, ...]
    # A band-based finding on an incomplete screen is a floor: the band it names is "at least".
    minimum_band: str | None = None
    could_rise_to: tuple[str, ...] = ()

    @property
    def reason(self) -> str:
        """One sentence for the alert's 'why'."""
        if self.kind is RiskKind.UNANSWERED:
            return "A suicide-risk question was left unanswered, so it could not be checked."
        given = "; ".join(f"item {a.item} ({a.topic}): {a.answer!r} [{a.value}]" for a in self.answers)
        floor = ""
        if self.minimum_band is not None and self.could_rise_to:
            floor = (
                f" Screen incomplete: risk is at least {self.minimum_band}; the unanswered questions "
                f"could still make it {' or '.join(self.could_rise_to)}."
            )
        return f"{given}.{floor} {self.action}"


def risk_findings(instrument: Instrument, result: ScoreResult, *, language: str = "en") -> tuple[RiskFinding, ...]:
    safety_items = set(instrument.safety_items)
    findings = []
    for rule in instrument.flags:
        if rule.id not in result.flags or rule.level is FlagLevel.INFO:
            continue
        items = sorted(items_behind(instrument, rule.when) & safety_items)
        if not items:
            continue
        answered = [n for n in items if result.answers.get(n) is not None]
        # Show the answers that made the rule fire, not every "no" around them.
        positive = [n for n in answered if result.answers[n] != _lowest(instrument, n)] or answered
        on_band = bool(set(rule.when.band_keys())) and result.band_is_minimum
        findings.append(
            RiskFinding(
                kind=RiskKind.POSITIVE,
                flag=rule.id,
                level=rule.level.value,
                action=rule.action,
                source=rule.source,
                answers=tuple(_answer(instrument, result, number, language) for number in positive),
                minimum_band=result.severity if on_band else None,
                could_rise_to=result.band_could_rise_to if on_band else (),
            )
        )
    if SAFETY_ITEM_MISSING in result.flags:
        findings.append(
            RiskFinding(
                kind=RiskKind.UNANSWERED,
                flag=SAFETY_ITEM_MISSING,
                level=FlagLevel.URGENT.value,
                action="Ask the question in person before the next dose.",
                source="measures.md §0 rule 4: safety items are evaluated from the raw answer.",
                answers=(),
            )
        )
    return tuple(findings)


def items_behind(instrument: Instrument, condition: Condition) -> set[int]:
    """The items a condition reads, including those behind the bands it names."""
    items = set(condition.item_numbers())
    bands = set(condition.band_keys())
    if bands and isinstance(instrument.bands, TriggeredBands):
        for level in instrument.bands.levels:
            if level.key in bands:
                items |= set(level.when.item_numbers())
    return items


def _lowest(instrument: Instrument, number: int) -> int:
    item = instrument.item(number)
    assert item is not None
    return item.value_range.minimum


def _answer(instrument: Instrument, result: ScoreResult, number: int, language: str) -> TriggeringAnswer:
    item = instrument.item(number)
    value = result.answers[number]
    assert item is not None
    assert value is not None
    option = item.option(value)
    label = (option.label.get(language) or option.label.get("en") or str(value)) if option else str(value)
    return TriggeringAnswer(item=item.display_number, topic=item.topic, answer=label, value=value)
