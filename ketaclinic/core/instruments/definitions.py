"""The parsed form of an instrument data file: items, rules, bands, flags, settings, codes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from ketaclinic.core.errors import RuleViolation
from ketaclinic.core.instruments.conditions import Condition, SettingValue, Threshold

TOTAL = "total"
CHANGE_FROM_BASELINE = "change_from_baseline"


class CompletedBy(StrEnum):
    SELF_REPORT = "self_report"
    CLINICIAN = "clinician"
    SELF_REPORT_OR_CLINICIAN = "self_report_or_clinician"


class Wording(StrEnum):
    """Whether item wording ships with the software.

    ``full``: the published wording is bundled. ``licensed``: only structure and scoring ship,
    item topics are in our own words, and a center admin loads the licensed text.
    ``paraphrase``: our own level descriptions with a citation (observer scales).
    """

    FULL = "full"
    LICENSED = "licensed"
    PARAPHRASE = "paraphrase"


class TextSource(StrEnum):
    BUNDLED = "bundled"
    ADMIN_SUPPLIED = "admin_supplied"


class LicenseClass(StrEnum):
    FREE = "free"
    ATTRIBUTION = "attribution"
    NONCOMMERCIAL = "noncommercial"
    GATED = "gated"


class Direction(StrEnum):
    HIGHER_IS_WORSE = "higher_is_worse"
    HIGHER_IS_BETTER = "higher_is_better"
    NEITHER = "neither"


class Basis(StrEnum):
    """Where a rule or number comes from (measures.md legend)."""

    PUBLISHED = "published"
    UNCONFIRMED = "unconfirmed"
    PROJECT_DEFAULT = "project_default"


class FlagLevel(StrEnum):
    INFO = "info"
    REVIEW = "review"
    URGENT = "urgent"
    CRITICAL = "critical"


class Combine(StrEnum):
    SUM = "sum"
    MAX = "max"


class SettingType(StrEnum):
    INT = "int"
    BOOL = "bool"
    CHOICE = "choice"


class ChangeDirection(StrEnum):
    IMPROVEMENT = "improvement"
    WORSENING = "worsening"


@dataclass(frozen=True, slots=True)
class ScoreRange:
    minimum: int
    maximum: int

    def contains(self, value: int) -> bool:
        return self.minimum <= value <= self.maximum

    def __str__(self) -> str:
        return f"{self.minimum}-{self.maximum}"


@dataclass(frozen=True, slots=True)
class AnswerOption:
    value: int
    code: str
    label: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Item:
    number: int
    display_number: str
    topic: str
    scored: bool
    required: bool
    reverse: bool
    safety: bool
    options: tuple[AnswerOption, ...]
    text: Mapping[str, str]
    ask_when: Condition | None
    skip_enabled_by: str | None
    not_asked_value: int | None
    loinc: str | None

    @property
    def values(self) -> frozenset[int]:
        return frozenset(option.value for option in self.options)

    @property
    def value_range(self) -> ScoreRange:
        values = self.values
        return ScoreRange(min(values), max(values))

    def scored_value(self, raw: int) -> int:
        """Apply reverse scoring: the lowest option counts as the highest and vice versa."""
        if not self.reverse:
            return raw
        span = self.value_range
        return span.minimum + span.maximum - raw

    def option(self, value: int) -> AnswerOption | None:
        for option in self.options:
            if option.value == value:
                return option
        return None


@dataclass(frozen=True, slots=True)
class SettingSpec:
    """A clinic-configurable value, with the default the data file ships."""

    key: str
    type: SettingType
    default: SettingValue
    basis: Basis
    description: str
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()

    def check(self, value: object) -> SettingValue:
        """Return ``value`` if it is valid for this setting, else raise ``RuleViolation``."""
        match self.type:
            case SettingType.BOOL:
                if isinstance(value, bool):
                    return value
            case SettingType.INT:
                if isinstance(value, int) and not isinstance(value, bool):
                    too_low = self.minimum is not None and value < self.minimum
                    too_high = self.maximum is not None and value > self.maximum
                    if not (too_low or too_high):
                        return value
            case SettingType.CHOICE:
                if isinstance(value, str) and value in self.choices:
                    return value
        raise RuleViolation(
            f"Setting {self.key} does not accept {value!r}: {self.describe_allowed()}.",
            code="invalid_setting",
            field=self.key,
        )

    def describe_allowed(self) -> str:
        match self.type:
            case SettingType.BOOL:
                return "expected true or false"
            case SettingType.INT:
                return f"expected a whole number from {self.minimum} to {self.maximum}"
            case SettingType.CHOICE:
                return "expected one of " + ", ".join(self.choices)


@dataclass(frozen=True, slots=True)
class InstrumentVersion:
    id: str
    recall_window: str
    note: str


@dataclass(frozen=True, slots=True)
class SumTotal:
    """Total = sum of the items' scored values (after reverse scoring).

    ``prorate_max_missing``: how many items may be missing and still give a prorated total
    (mean of answered items x item count, rounded half up). ``None`` means never prorate.
    """

    items: tuple[int, ...]
    range: ScoreRange
    prorate_max_missing: Threshold | None


@dataclass(frozen=True, slots=True)
class Domain:
    """Several items collapsed to one value (QIDS-SR16: the highest of the sleep items).

    ``partial_as_zero_setting`` names a boolean setting: when on and at least one item of
    the domain is answered, its unanswered items count as 0 inside the domain.
    ``answer_groups`` narrows that: each group (QIDS-SR16 appetite 6|7, weight 8|9) needs an
    answer of its own, or the domain is missing.
    """

    id: str
    name: str
    combine: Combine
    items: tuple[int, ...]
    partial_as_zero_setting: str | None
    answer_groups: tuple[tuple[int, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class DomainSumTotal:
    domains: tuple[Domain, ...]
    range: ScoreRange


@dataclass(frozen=True, slots=True)
class SingleItemTotal:
    """A one-item scale: the total is the chosen level (MOAA/S, RASS)."""

    item: int
    range: ScoreRange


@dataclass(frozen=True, slots=True)
class NoTotal:
    """No total score (C-SSRS screener: a risk band is derived from the answers)."""


type TotalRule = SumTotal | DomainSumTotal | SingleItemTotal | NoTotal


@dataclass(frozen=True, slots=True)
class Subscale:
    """Sum of a group of items; ``None`` unless every item of the group is answered."""

    id: str
    name: str
    items: tuple[int, ...]
    range: ScoreRange


@dataclass(frozen=True, slots=True)
class DerivedScore:
    """A linear rescaling of another score (WHO-5 percentage = raw x 4)."""

    id: str
    name: str
    source: str
    multiply: int
    range: ScoreRange


@dataclass(frozen=True, slots=True)
class Band:
    key: str
    label: str
    minimum: int
    maximum: int
    action: str | None

    def __str__(self) -> str:
        if self.minimum == self.maximum:
            return f"{self.key} ({self.minimum})"
        return f"{self.key} ({self.minimum}-{self.maximum})"


@dataclass(frozen=True, slots=True)
class RangeBands:
    """Severity bands over a score; together they cover the score's whole range."""

    scheme: str
    score: str
    source: str
    bands: tuple[Band, ...]

    def band_for(self, value: int) -> Band | None:
        for band in self.bands:
            if band.minimum <= value <= band.maximum:
                return band
        return None


@dataclass(frozen=True, slots=True)
class TriggeredLevel:
    key: str
    label: str
    when: Condition
    action: str | None


@dataclass(frozen=True, slots=True)
class TriggeredBands:
    """The band is the highest level whose condition holds (C-SSRS triage colours).

    ``levels`` run from lowest to highest. ``otherwise`` applies only when every level's
    condition is definitely false.
    """

    scheme: str
    source: str
    levels: tuple[TriggeredLevel, ...]
    otherwise_key: str
    otherwise_label: str


type BandScheme = RangeBands | TriggeredBands


@dataclass(frozen=True, slots=True)
class Screen:
    """A named cut-off or algorithm stored as a boolean (never as a diagnosis)."""

    id: str
    label: str
    when: Condition
    basis: Basis
    source: str
    enabled_by: str | None
    flag: str | None


@dataclass(frozen=True, slots=True)
class FlagRule:
    """A critical-item or threshold flag for clinician attention."""

    id: str
    when: Condition
    level: FlagLevel
    action: str
    basis: Basis
    source: str
    enabled_by: str | None


@dataclass(frozen=True, slots=True)
class LoincCodes:
    panel: str | None
    total: str | None
    band: str | None
    items: Mapping[int, str]
    note: str


@dataclass(frozen=True, slots=True)
class Embedding:
    """This instrument's items are items of another instrument (PHQ-2 inside PHQ-9)."""

    instrument: str
    items: Mapping[int, int]


@dataclass(frozen=True, slots=True)
class ResponseDefinition:
    id: str
    version: str
    min_improvement_percent: Threshold
    definition: str
    source: str


@dataclass(frozen=True, slots=True)
class RemissionDefinition:
    id: str
    version: str
    max_total: Threshold
    definition: str
    source: str


@dataclass(frozen=True, slots=True)
class RapidResponseDefinition:
    id: str
    version: str
    target_hours: int
    tolerance_hours: int
    definition: str
    source: str


@dataclass(frozen=True, slots=True)
class ChangeThreshold:
    """A points-based change rule (MCID, reliable change, worsening alert)."""

    id: str
    version: str
    direction: ChangeDirection
    score: str
    min_points: Threshold
    definition: str
    basis: Basis
    source: str


@dataclass(frozen=True, slots=True)
class Outcomes:
    response: ResponseDefinition | None
    remission: tuple[RemissionDefinition, ...]
    default_remission: str | None
    default_remission_setting: str | None
    rapid_response: RapidResponseDefinition | None
    change_thresholds: tuple[ChangeThreshold, ...]


@dataclass(frozen=True, slots=True)
class Instrument:
    code: str
    name: str
    short_name: str
    versions: tuple[InstrumentVersion, ...]
    scoring_rule_version: str
    completed_by: CompletedBy
    recall_window: str
    recall_days: int | None
    direction: Direction
    wording: Wording
    license_class: LicenseClass
    licence_note: str
    attribution: str | None
    source: str
    sources: tuple[str, ...]
    languages: tuple[str, ...]
    instructions: Mapping[str, str]
    items: tuple[Item, ...]
    total: TotalRule
    subscales: tuple[Subscale, ...]
    derived_scores: tuple[DerivedScore, ...]
    bands: BandScheme | None
    screens: tuple[Screen, ...]
    flags: tuple[FlagRule, ...]
    settings: tuple[SettingSpec, ...]
    loinc: LoincCodes
    outcomes: Outcomes | None
    embedded_in: tuple[Embedding, ...]
    notes: tuple[str, ...]

    @property
    def version(self) -> str:
        """The default form version (the first listed)."""
        return self.versions[0].id

    @property
    def text_source(self) -> TextSource:
        if self.wording is Wording.LICENSED:
            return TextSource.ADMIN_SUPPLIED
        return TextSource.BUNDLED

    @property
    def reverse_scored_items(self) -> tuple[int, ...]:
        return tuple(item.number for item in self.items if item.reverse)

    @property
    def safety_items(self) -> tuple[int, ...]:
        return tuple(item.number for item in self.items if item.safety)

    @property
    def has_total(self) -> bool:
        return not isinstance(self.total, NoTotal)

    @property
    def total_range(self) -> ScoreRange | None:
        if isinstance(self.total, NoTotal):
            return None
        return self.total.range

    def item(self, number: int) -> Item | None:
        for item in self.items:
            if item.number == number:
                return item
        return None

    def setting(self, key: str) -> SettingSpec | None:
        for spec in self.settings:
            if spec.key == key:
                return spec
        return None

    def score_ranges(self) -> Mapping[str, ScoreRange]:
        """Every named score a condition or band may refer to, with its range."""
        ranges: dict[str, ScoreRange] = {}
        total_range = self.total_range
        if total_range is not None:
            ranges[TOTAL] = total_range
            span = total_range.maximum - total_range.minimum
            ranges[CHANGE_FROM_BASELINE] = ScoreRange(-span, span)
        if isinstance(self.total, DomainSumTotal):
            for domain in self.total.domains:
                ranges[domain.id] = domain_range(self, domain)
        for subscale in self.subscales:
            ranges[subscale.id] = subscale.range
        for derived in self.derived_scores:
            ranges[derived.id] = derived.range
        return MappingProxyType(ranges)

    def resolve_settings(self, overrides: Mapping[str, object] | None = None) -> Mapping[str, SettingValue]:
        """Defaults from the data file, with a clinic's overrides checked and applied."""
        effective: dict[str, SettingValue] = {spec.key: spec.default for spec in self.settings}
        for key, value in (overrides or {}).items():
            spec = self.setting(key)
            if spec is None:
                known = ", ".join(sorted(effective)) or "none"
                raise RuleViolation(
                    f"{self.short_name} has no setting {key!r} (settings: {known}).",
                    code="unknown_setting",
                    field=key,
                )
            effective[key] = spec.check(value)
        return MappingProxyType(effective)


def domain_range(instrument: Instrument, domain: Domain) -> ScoreRange:
    ranges = []
    for number in domain.items:
        item = instrument.item(number)
        assert item is not None
        ranges.append(item.value_range)
    if domain.combine is Combine.MAX:
        return ScoreRange(max(r.minimum for r in ranges), max(r.maximum for r in ranges))
    return ScoreRange(sum(r.minimum for r in ranges), sum(r.maximum for r in ranges))
