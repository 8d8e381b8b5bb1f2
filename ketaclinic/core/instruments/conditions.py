"""The condition vocabulary instrument data files use for flags, screens, bands and branching.

Conditions use three-valued logic: ``True``, ``False`` or ``None`` (unknown, because an
answer the condition needs is missing). A flag fires only on ``True``; a screen whose
condition is unknown is stored as ``None``, never guessed.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum

type SettingValue = int | bool | str


class Sex(StrEnum):
    """Sex as recorded for sex-specific cut-offs (AUDIT-C)."""

    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"


class Comparator(StrEnum):
    EQ = "eq"
    NE = "ne"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self]

    def holds(self, left: int, right: int) -> bool:
        match self:
            case Comparator.EQ:
                return left == right
            case Comparator.NE:
                return left != right
            case Comparator.GT:
                return left > right
            case Comparator.GTE:
                return left >= right
            case Comparator.LT:
                return left < right
            case Comparator.LTE:
                return left <= right


_SYMBOLS = {
    Comparator.EQ: "=",
    Comparator.NE: "≠",
    Comparator.GT: ">",
    Comparator.GTE: "≥",
    Comparator.LT: "<",
    Comparator.LTE: "≤",
}


@dataclass(frozen=True, slots=True)
class Facts:
    """What a condition may look at: raw answers, computed scores, settings and context."""

    answers: Mapping[int, int | None]
    not_asked: frozenset[int]
    scores: Mapping[str, int | None]
    settings: Mapping[str, SettingValue]
    sex: Sex | None
    band: str | None = None


class Threshold(ABC):
    """A cut-off value: a literal, a clinic setting, or a value chosen by sex."""

    __slots__ = ()

    @abstractmethod
    def resolve(self, facts: Facts) -> int: ...

    @abstractmethod
    def describe(self, facts: Facts) -> str: ...

    @abstractmethod
    def setting_keys(self) -> Iterator[str]: ...


@dataclass(frozen=True, slots=True)
class LiteralThreshold(Threshold):
    value: int

    def resolve(self, facts: Facts) -> int:
        return self.value

    def describe(self, facts: Facts) -> str:
        return str(self.value)

    def setting_keys(self) -> Iterator[str]:
        return iter(())


@dataclass(frozen=True, slots=True)
class SettingThreshold(Threshold):
    key: str

    def resolve(self, facts: Facts) -> int:
        value = facts.settings[self.key]
        # Setting types are checked when the data file loads; a bool here is a schema bug.
        assert isinstance(value, int)
        assert not isinstance(value, bool)
        return value

    def describe(self, facts: Facts) -> str:
        return f"{self.resolve(facts)} (setting {self.key})"

    def setting_keys(self) -> Iterator[str]:
        yield self.key


@dataclass(frozen=True, slots=True)
class SexThreshold(Threshold):
    """A cut-off that depends on recorded sex; ``default`` covers other, unknown and absent."""

    cases: Mapping[Sex, Threshold]
    default: Threshold

    def chosen(self, facts: Facts) -> Threshold:
        if facts.sex is None:
            return self.default
        return self.cases.get(facts.sex, self.default)

    def resolve(self, facts: Facts) -> int:
        return self.chosen(facts).resolve(facts)

    def describe(self, facts: Facts) -> str:
        sex = facts.sex.value if facts.sex is not None else "not recorded"
        return f"{self.chosen(facts).describe(facts)} (cut-off for sex: {sex})"

    def setting_keys(self) -> Iterator[str]:
        for threshold in (*self.cases.values(), self.default):
            yield from threshold.setting_keys()


@dataclass(frozen=True, slots=True)
class Comparison:
    comparator: Comparator
    threshold: Threshold

    def holds(self, value: int, facts: Facts) -> bool:
        return self.comparator.holds(value, self.threshold.resolve(facts))

    def describe(self, facts: Facts) -> str:
        return f"{self.comparator.symbol} {self.threshold.describe(facts)}"


class Condition(ABC):
    """A yes / no / unknown question about an administration."""

    __slots__ = ()

    @abstractmethod
    def evaluate(self, facts: Facts) -> bool | None: ...

    @abstractmethod
    def describe(self, facts: Facts, *, with_values: bool = True) -> str: ...

    def children(self) -> tuple[Condition, ...]:
        return ()

    # What a condition reads: a compound reads what its children read; a leaf overrides what it reads.

    def item_numbers(self) -> Iterator[int]:
        for child in self.children():
            yield from child.item_numbers()

    def score_names(self) -> Iterator[str]:
        for child in self.children():
            yield from child.score_names()

    def setting_keys(self) -> Iterator[str]:
        for child in self.children():
            yield from child.setting_keys()

    def band_keys(self) -> Iterator[str]:
        for child in self.children():
            yield from child.band_keys()


@dataclass(frozen=True, slots=True)
class ItemIs(Condition):
    """Compare one item's raw answer; an item that was not asked satisfies no comparison."""

    item: int
    comparison: Comparison

    def evaluate(self, facts: Facts) -> bool | None:
        if self.item in facts.not_asked:
            return False
        answer = facts.answers.get(self.item)
        if answer is None:
            return None
        return self.comparison.holds(answer, facts)

    def describe(self, facts: Facts, *, with_values: bool = True) -> str:
        observed = ""
        if with_values:
            if self.item in facts.not_asked:
                observed = " (not asked)"
            else:
                answer = facts.answers.get(self.item)
                observed = " (unanswered)" if answer is None else f" (answer {answer})"
        return f"item {self.item}{observed} {self.comparison.describe(facts)}"

    def item_numbers(self) -> Iterator[int]:
        yield self.item

    def setting_keys(self) -> Iterator[str]:
        return self.comparison.threshold.setting_keys()


@dataclass(frozen=True, slots=True)
class ScoreIs(Condition):
    """Compare a computed score: ``total``, a subscale, a derived score or the change."""

    score: str
    comparison: Comparison

    def evaluate(self, facts: Facts) -> bool | None:
        value = facts.scores.get(self.score)
        if value is None:
            return None
        return self.comparison.holds(value, facts)

    def describe(self, facts: Facts, *, with_values: bool = True) -> str:
        observed = ""
        if with_values:
            value = facts.scores.get(self.score)
            observed = " (not computed)" if value is None else f" ({value})"
        return f"{self.score.replace('_', ' ')}{observed} {self.comparison.describe(facts)}"

    def score_names(self) -> Iterator[str]:
        yield self.score

    def setting_keys(self) -> Iterator[str]:
        return self.comparison.threshold.setting_keys()


@dataclass(frozen=True, slots=True)
class BandIs(Condition):
    """The band the instrument's scheme assigned; unknown when no band could be assigned."""

    key: str

    def evaluate(self, facts: Facts) -> bool | None:
        if facts.band is None:
            return None
        return facts.band == self.key

    def describe(self, facts: Facts, *, with_values: bool = True) -> str:
        observed = ""
        if with_values:
            observed = " (none)" if facts.band is None else f" ({facts.band})"
        return f"band{observed} = {self.key}"

    def band_keys(self) -> Iterator[str]:
        yield self.key


@dataclass(frozen=True, slots=True)
class AllOf(Condition):
    conditions: tuple[Condition, ...]

    def children(self) -> tuple[Condition, ...]:
        return self.conditions

    def evaluate(self, facts: Facts) -> bool | None:
        verdicts = [condition.evaluate(facts) for condition in self.conditions]
        if False in verdicts:
            return False
        if None in verdicts:
            return None
        return True

    def describe(self, facts: Facts, *, with_values: bool = True) -> str:
        parts = (c.describe(facts, with_values=with_values) for c in self.conditions)
        return "(" + " and ".join(parts) + ")"


@dataclass(frozen=True, slots=True)
class AnyOf(Condition):
    conditions: tuple[Condition, ...]

    def children(self) -> tuple[Condition, ...]:
        return self.conditions

    def evaluate(self, facts: Facts) -> bool | None:
        verdicts = [condition.evaluate(facts) for condition in self.conditions]
        if True in verdicts:
            return True
        if None in verdicts:
            return None
        return False

    def describe(self, facts: Facts, *, with_values: bool = True) -> str:
        parts = (c.describe(facts, with_values=with_values) for c in self.conditions)
        return "(" + " or ".join(parts) + ")"


@dataclass(frozen=True, slots=True)
class AtLeast(Condition):
    """At least ``count`` of the conditions hold.

    Unknown when any part is unknown, even if the count is already reached: counting rules
    (the PHQ-9 syndrome algorithm, the PCL-5 cluster rule) are only evaluated on complete
    answers.
    """

    count: int
    conditions: tuple[Condition, ...]

    def children(self) -> tuple[Condition, ...]:
        return self.conditions

    def evaluate(self, facts: Facts) -> bool | None:
        verdicts = [condition.evaluate(facts) for condition in self.conditions]
        if None in verdicts:
            return None
        return verdicts.count(True) >= self.count

    def describe(self, facts: Facts, *, with_values: bool = True) -> str:
        parts = "; ".join(c.describe(facts, with_values=with_values) for c in self.conditions)
        met = ""
        if with_values:
            verdicts = [condition.evaluate(facts) for condition in self.conditions]
            met = f", {verdicts.count(True)} met"
        return f"at least {self.count} of [{parts}]{met}"


@dataclass(frozen=True, slots=True)
class AtLeastItems(Condition):
    """At least ``count`` of the listed items' raw answers meet the comparison."""

    count: int
    items: tuple[int, ...]
    comparison: Comparison

    def evaluate(self, facts: Facts) -> bool | None:
        return AtLeast(self.count, self._parts()).evaluate(facts)

    def describe(self, facts: Facts, *, with_values: bool = True) -> str:
        text = f"at least {self.count} of {describe_item_numbers(self.items)} {self.comparison.describe(facts)}"
        if with_values:
            verdicts = [part.evaluate(facts) for part in self._parts()]
            unanswered = verdicts.count(None)
            text += f" ({verdicts.count(True)} met"
            text += f", {unanswered} unanswered)" if unanswered else ")"
        return text

    def _parts(self) -> tuple[Condition, ...]:
        return tuple(ItemIs(item, self.comparison) for item in self.items)

    def item_numbers(self) -> Iterator[int]:
        yield from self.items

    def setting_keys(self) -> Iterator[str]:
        return self.comparison.threshold.setting_keys()


def describe_item_numbers(numbers: Iterable[int]) -> str:
    """Name item numbers compactly: ``items 1-5, 7``."""
    ordered = sorted(set(numbers))
    if not ordered:
        return "no items"
    runs: list[tuple[int, int]] = []
    for number in ordered:
        if runs and number == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], number)
        else:
            runs.append((number, number))
    parts = [str(a) if a == b else f"{a}, {b}" if b == a + 1 else f"{a}-{b}" for a, b in runs]
    noun = "item" if len(ordered) == 1 else "items"
    return f"{noun} {', '.join(parts)}"
