"""Score one administration of an instrument from its raw answers.

The engine knows the rule vocabulary (sum, domain_sum, single, none; range bands and
highest-triggered bands; conditions) and nothing about any particular scale: every number
comes from the instrument's data file or from a clinic's settings.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType

from ketaclinic.core.errors import RuleViolation
from ketaclinic.core.instruments.conditions import (
    Facts,
    SettingValue,
    Sex,
    describe_item_numbers,
)
from ketaclinic.core.instruments.consistency import SAFETY_ITEM_MISSING
from ketaclinic.core.instruments.definitions import (
    CHANGE_FROM_BASELINE,
    TOTAL,
    Combine,
    DomainSumTotal,
    Instrument,
    InstrumentVersion,
    Item,
    NoTotal,
    RangeBands,
    SingleItemTotal,
    SumTotal,
    TriggeredBands,
)


class Completeness(StrEnum):
    COMPLETE = "complete"
    INCOMPLETE = "incomplete"
    PRORATED = "prorated"


class ItemStatus(StrEnum):
    ANSWERED = "answered"
    UNANSWERED = "unanswered"
    NOT_ASKED = "not_asked"


type Snapshot = Mapping[str, object]


@dataclass(frozen=True, slots=True)
class ScoreResult:
    """The outcome of scoring one administration, with everything needed to audit it.

    ``answers`` are the raw answers as given; ``item_values`` are the values that counted
    (after reverse scoring, and the fixed value of an item skipped by design).
    ``thresholds`` is a snapshot of every band, cut-off and setting the verdicts used.
    ``band_could_rise_to`` lists the higher bands unanswered items could still reach; when
    it is not empty the band is only a lower bound (an incomplete C-SSRS reads "incomplete,
    at least low", never plain "low").
    """

    instrument_code: str
    instrument_version: str
    scoring_rule_version: str
    total: int | None
    severity: str | None
    severity_label: str | None
    band_scheme: str | None
    flags: tuple[str, ...]
    completeness: Completeness
    subscales: Mapping[str, int | None]
    derived_scores: Mapping[str, int | None]
    screens: Mapping[str, bool | None]
    change_from_baseline: int | None
    answers: Mapping[int, int | None]
    item_values: Mapping[int, int | None]
    item_status: Mapping[int, ItemStatus]
    missing_items: tuple[int, ...]
    settings: Mapping[str, SettingValue]
    thresholds: Snapshot
    reasons: tuple[str, ...]
    band_could_rise_to: tuple[str, ...] = ()

    @property
    def band(self) -> str | None:
        return self.severity

    @property
    def band_is_minimum(self) -> bool:
        return bool(self.band_could_rise_to)


def score_instrument(
    instrument: Instrument,
    answers: Mapping[int, int | None],
    settings: Mapping[str, object] | None = None,
    *,
    sex: Sex | str | None = None,
    baseline_total: int | None = None,
    version: str | None = None,
) -> ScoreResult:
    """Score ``answers`` (1-based item number → raw option value) for ``instrument``."""
    effective = instrument.resolve_settings(settings)
    form = _choose_version(instrument, version)
    recorded_sex = _read_sex(sex)
    raw = _read_answers(instrument, answers)
    _check_baseline(instrument, baseline_total)
    reasons = [f"{instrument.short_name} ({form.id}) scored under rule version {instrument.scoring_rule_version}."]

    not_asked = _apply_branching(instrument, raw, effective, recorded_sex, reasons)
    status = {
        item.number: (
            ItemStatus.NOT_ASKED
            if item.number in not_asked
            else ItemStatus.UNANSWERED
            if raw[item.number] is None
            else ItemStatus.ANSWERED
        )
        for item in instrument.items
    }
    values = _item_values(instrument, raw, status, reasons)
    base_facts = Facts(raw, frozenset(not_asked), {}, effective, recorded_sex)

    computed = _compute_total(instrument, values, base_facts)
    reasons += computed.reasons
    scores: dict[str, int | None] = {}
    if instrument.has_total:
        scores[TOTAL] = computed.total
        change = None
        if baseline_total is not None and computed.total is not None:
            change = computed.total - baseline_total
            reasons.append(f"Change from baseline = {computed.total} - {baseline_total} = {change:+d}.")
        scores[CHANGE_FROM_BASELINE] = change
    scores.update(computed.domains)
    subscales = dict(computed.domains)
    for subscale in instrument.subscales:
        parts = [values[number] for number in subscale.items]
        known = [part for part in parts if part is not None]
        value = sum(known) if len(known) == len(parts) else None
        subscales[subscale.id] = scores[subscale.id] = value
        reasons.append(
            f"Subscale {subscale.name} ({describe_item_numbers(subscale.items)}) = "
            + (
                "not computed: an item is unanswered."
                if value is None
                else " + ".join(map(str, known)) + f" = {value}."
            )
        )
    derived_scores: dict[str, int | None] = {}
    for derived in instrument.derived_scores:
        source_value = scores[derived.source]
        value = None if source_value is None else source_value * derived.multiply
        derived_scores[derived.id] = scores[derived.id] = value
        reasons.append(
            f"{derived.name} = {derived.source.replace('_', ' ')} {source_value} x {derived.multiply} = {value}."
            if value is not None
            else f"{derived.name} not computed: {derived.source.replace('_', ' ')} is missing."
        )
    facts = Facts(raw, frozenset(not_asked), MappingProxyType(scores), effective, recorded_sex)

    missing = tuple(
        item.number
        for item in instrument.items
        if item.required and status[item.number] is ItemStatus.UNANSWERED and item.number not in computed.zero_filled
    )
    if computed.prorated:
        completeness = Completeness.PRORATED
    elif missing:
        completeness = Completeness.INCOMPLETE
    else:
        completeness = Completeness.COMPLETE
    reasons.append(
        f"Completeness: {completeness.value}" + (f" ({describe_item_numbers(missing)} unanswered)." if missing else ".")
    )

    flags: list[str] = []
    band = _band(instrument, facts, reasons)
    facts = replace(facts, band=band.key)
    screens = _screens(instrument, facts, flags, reasons)
    _flag_rules(instrument, facts, flags, reasons)
    missing_safety = [number for number in missing if _item(instrument, number).safety]
    if missing_safety:
        flags.append(SAFETY_ITEM_MISSING)
        reasons.append(
            f"Flag {SAFETY_ITEM_MISSING}: safety {describe_item_numbers(missing_safety)} "
            "unanswered; ask before relying on this administration."
        )

    return ScoreResult(
        instrument_code=instrument.code,
        instrument_version=form.id,
        scoring_rule_version=instrument.scoring_rule_version,
        total=computed.total,
        severity=band.key,
        severity_label=band.label,
        band_scheme=None if instrument.bands is None else instrument.bands.scheme,
        flags=tuple(dict.fromkeys(flags)),
        completeness=completeness,
        subscales=MappingProxyType(subscales),
        derived_scores=MappingProxyType(derived_scores),
        screens=MappingProxyType(screens),
        change_from_baseline=scores.get(CHANGE_FROM_BASELINE),
        answers=MappingProxyType(raw),
        item_values=MappingProxyType(values),
        item_status=MappingProxyType(status),
        missing_items=missing,
        settings=effective,
        thresholds=threshold_snapshot(instrument, facts),
        reasons=tuple(reasons),
        band_could_rise_to=band.could_rise_to,
    )


# --- input -------------------------------------------------------------------------------


def _choose_version(instrument: Instrument, version: str | None) -> InstrumentVersion:
    if version is None:
        return instrument.versions[0]
    for candidate in instrument.versions:
        if candidate.id == version:
            return candidate
    known = ", ".join(v.id for v in instrument.versions)
    raise RuleViolation(
        f"{instrument.short_name} has no form version {version!r} (versions: {known}).",
        code="unknown_instrument_version",
        field="version",
    )


def _read_sex(sex: Sex | str | None) -> Sex | None:
    if sex is None or isinstance(sex, Sex):
        return sex
    try:
        return Sex(sex)
    except ValueError:
        allowed = ", ".join(member.value for member in Sex)
        raise RuleViolation(f"Sex {sex!r} is not one of {allowed}.", code="invalid_sex", field="sex") from None


def _read_answers(instrument: Instrument, answers: Mapping[int, int | None]) -> dict[int, int | None]:
    if not isinstance(answers, Mapping):
        raise RuleViolation("Answers must map item numbers to answer values.", code="invalid_answers")
    raw: dict[int, int | None] = {item.number: None for item in instrument.items}
    last = len(instrument.items)
    for number, value in answers.items():
        item = instrument.item(number) if isinstance(number, int) and not isinstance(number, bool) else None
        if item is None:
            raise RuleViolation(
                f"{instrument.short_name} has no item {number!r} (items are 1-{last}).",
                code="unknown_item",
                field=f"item_{number}",
            )
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value not in item.values:
            allowed = ", ".join(str(v) for v in sorted(item.values))
            raise RuleViolation(
                f"{instrument.short_name} item {item.display_number}: {value!r} is not one of "
                f"its answer values ({allowed}).",
                code="answer_not_an_option",
                field=f"item_{item.number}",
            )
        raw[item.number] = value
    return raw


def _check_baseline(instrument: Instrument, baseline_total: int | None) -> None:
    if baseline_total is None:
        return
    span = instrument.total_range
    valid = isinstance(baseline_total, int) and not isinstance(baseline_total, bool)
    if span is None or not valid or not span.contains(baseline_total):
        raise RuleViolation(
            f"{instrument.short_name}: baseline {baseline_total!r} is not a possible total"
            + (f" ({span})." if span is not None else " (this instrument has no total)."),
            code="invalid_baseline_total",
            field="baseline_total",
        )


def _item(instrument: Instrument, number: int) -> Item:
    item = instrument.item(number)
    assert item is not None
    return item


# --- items -------------------------------------------------------------------------------


def _apply_branching(
    instrument: Instrument,
    raw: Mapping[int, int | None],
    settings: Mapping[str, SettingValue],
    sex: Sex | None,
    reasons: list[str],
) -> set[int]:
    """Find the items the form skipped by design; an answer to one of them is an error."""
    not_asked: set[int] = set()
    for item in instrument.items:
        if item.ask_when is None:
            continue
        if item.skip_enabled_by is not None and settings[item.skip_enabled_by] is False:
            continue
        facts = Facts(raw, frozenset(not_asked), {}, settings, sex)
        if item.ask_when.evaluate(facts) is not False:
            continue
        rule = item.ask_when.describe(facts)
        answer = raw[item.number]
        if answer is not None and answer == item.not_asked_value:
            # A paper form may tick the value the skip implies (no drinks on a typical day);
            # that agrees with the skip, so keep it as an answer.
            continue
        if answer is not None:
            raise RuleViolation(
                f"{instrument.short_name} item {item.display_number} is only asked when "
                f"{item.ask_when.describe(facts, with_values=False)}; it was answered anyway "
                f"({rule} does not hold).",
                code="answer_to_skipped_item",
                field=f"item_{item.number}",
            )
        not_asked.add(item.number)
        if item.not_asked_value is None:
            reasons.append(f"Item {item.display_number} not asked: {rule} does not hold.")
        else:
            setting = f" (setting {item.skip_enabled_by} is on)" if item.skip_enabled_by else ""
            reasons.append(
                f"Item {item.display_number} not asked: {rule} does not hold; it counts as "
                f"{item.not_asked_value}{setting}."
            )
    return not_asked


def _item_values(
    instrument: Instrument,
    raw: Mapping[int, int | None],
    status: Mapping[int, ItemStatus],
    reasons: list[str],
) -> dict[int, int | None]:
    values: dict[int, int | None] = {}
    for item in instrument.items:
        answer = raw[item.number]
        if status[item.number] is ItemStatus.NOT_ASKED and item.not_asked_value is not None:
            answer = item.not_asked_value
        values[item.number] = None if answer is None else item.scored_value(answer)
        if answer is not None and item.reverse:
            reasons.append(
                f"Item {item.display_number} is reverse-scored: answer {answer} counts as {item.scored_value(answer)}."
            )
        if answer is not None and not item.scored and instrument.has_total:
            reasons.append(f"Item {item.display_number} is recorded but not added to a total.")
    return values


# --- total -------------------------------------------------------------------------------


@dataclass(slots=True)
class _Total:
    total: int | None = None
    prorated: bool = False
    zero_filled: frozenset[int] = frozenset()
    domains: dict[str, int | None] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)


def _compute_total(instrument: Instrument, values: Mapping[int, int | None], facts: Facts) -> _Total:
    rule = instrument.total
    if isinstance(rule, NoTotal):
        return _Total(reasons=["No total score: the band comes from the answers themselves."])
    if isinstance(rule, SingleItemTotal):
        value = values[rule.item]
        item = _item(instrument, rule.item)
        if value is None:
            return _Total(reasons=[f"No level recorded: item {item.display_number} unanswered."])
        option = item.option(value)
        label = option.label.get("en") if option is not None else None
        described = f" ({label})" if label else ""
        return _Total(total=value, reasons=[f"Level recorded: {value}{described}."])
    if isinstance(rule, SumTotal):
        return _sum_total(rule, values, facts)
    return _domain_total(instrument, rule, values, facts)


def _sum_total(rule: SumTotal, values: Mapping[int, int | None], facts: Facts) -> _Total:
    parts = [values[number] for number in rule.items]
    answered = [part for part in parts if part is not None]
    missing = [number for number in rule.items if values[number] is None]
    items = describe_item_numbers(rule.items)
    if not missing:
        total = sum(answered)
        return _Total(total=total, reasons=[f"Total = sum of {items}: {_sum_text(parts, total)}."])
    allowed = 0 if rule.prorate_max_missing is None else rule.prorate_max_missing.resolve(facts)
    unanswered = describe_item_numbers(missing)
    if answered and len(missing) <= allowed:
        exact = Fraction(sum(answered), len(answered)) * len(rule.items)
        # Half up, not Python's round-half-even: 13.5 must read 14 on every platform.
        total = math.floor(exact + Fraction(1, 2))
        assert rule.prorate_max_missing is not None
        return _Total(
            total=total,
            prorated=True,
            reasons=[
                f"Total prorated: {unanswered} unanswered, within the "
                f"{rule.prorate_max_missing.describe(facts)} missing items allowed; mean of "
                f"{len(answered)} answered items {sum(answered)}/{len(answered)} x "
                f"{len(rule.items)} = {float(exact):.2f}, rounded half up to {total}."
            ],
        )
    limit = (
        "this instrument has no proration rule"
        if rule.prorate_max_missing is None
        else f"proration allows at most {rule.prorate_max_missing.describe(facts)} missing"
    )
    return _Total(reasons=[f"Total not computed: {unanswered} unanswered ({limit})."])


def _domain_total(
    instrument: Instrument, rule: DomainSumTotal, values: Mapping[int, int | None], facts: Facts
) -> _Total:
    result = _Total()
    zero_filled: set[int] = set()
    for domain in rule.domains:
        parts = {number: values[number] for number in domain.items}
        missing = [number for number, value in parts.items() if value is None]
        known = [value for value in parts.values() if value is not None]
        if len(parts) == 1:
            label = f"Domain {domain.name} = {describe_item_numbers(parts)}"
        else:
            label = f"Domain {domain.name} = {domain.combine.value}({describe_item_numbers(parts)})"
        zero_fill = (
            domain.partial_as_zero_setting is not None and facts.settings[domain.partial_as_zero_setting] is True
        )
        if not known:
            result.domains[domain.id] = None
            result.reasons.append(f"{label}: not computed, no item answered.")
            continue
        if missing and not zero_fill:
            result.domains[domain.id] = None
            result.reasons.append(f"{label}: not computed, {describe_item_numbers(missing)} unanswered.")
            continue
        unanswered_groups = [group for group in domain.answer_groups if all(parts[n] is None for n in group)]
        if unanswered_groups:
            result.domains[domain.id] = None
            # The unanswered partner of an answered item is fine; only the empty pairs are missing.
            zero_filled.update(n for n in missing if not any(n in group for group in unanswered_groups))
            groups = "; ".join(f"none of {describe_item_numbers(group)}" for group in unanswered_groups)
            result.reasons.append(
                f"{label}: not computed, {groups} answered (each of "
                + ", ".join(describe_item_numbers(group) for group in domain.answer_groups)
                + " needs one answer)."
            )
            continue
        filled = [0 if value is None else value for value in parts.values()]
        value = max(filled) if domain.combine is Combine.MAX else sum(filled)
        result.domains[domain.id] = value
        shown = ", ".join("0" if v is None else str(v) for v in parts.values())
        note = ""
        if missing:
            zero_filled.update(missing)
            note = (
                f" ({describe_item_numbers(missing)} unanswered, counted as 0 inside the "
                f"{domain.combine.value}: setting {domain.partial_as_zero_setting} is on)"
            )
        worked = shown if len(parts) == 1 else f"{domain.combine.value}({shown}) = {value}"
        result.reasons.append(f"{label} = {worked}{note}.")
    result.zero_filled = frozenset(zero_filled)
    domain_values = list(result.domains.values())
    if None in domain_values:
        result.reasons.append("Total not computed: a domain could not be scored.")
        return result
    total = sum(value for value in domain_values if value is not None)
    result.total = total
    result.reasons.append(f"Total = sum of the {len(domain_values)} domains: {_sum_text(domain_values, total)}.")
    return result


def _sum_text(parts: list[int | None], total: int) -> str:
    return " + ".join(str(part) for part in parts) + f" = {total}"


# --- verdicts ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _BandVerdict:
    key: str | None = None
    label: str | None = None
    could_rise_to: tuple[str, ...] = ()


def _band(instrument: Instrument, facts: Facts, reasons: list[str]) -> _BandVerdict:
    scheme = instrument.bands
    if scheme is None:
        reasons.append(f"No severity bands are published for {instrument.short_name}.")
        return _BandVerdict()
    if isinstance(scheme, RangeBands):
        value = facts.scores.get(scheme.score)
        name = scheme.score.replace("_", " ")
        if value is None:
            reasons.append(f"No band: {name} not computed.")
            return _BandVerdict()
        band = scheme.band_for(value)
        assert band is not None  # bands tile the score range; checked when the file loads
        action = f" Suggested action: {band.action}." if band.action else ""
        reasons.append(
            f"Band {band.key} ({band.label}, {band.minimum}-{band.maximum}) for {name} {value}, "
            f"scheme {scheme.scheme}.{action}"
        )
        return _BandVerdict(band.key, band.label)
    return _triggered_band(scheme, facts, reasons)


def _triggered_band(scheme: TriggeredBands, facts: Facts, reasons: list[str]) -> _BandVerdict:
    verdicts = [(level, level.when.evaluate(facts)) for level in scheme.levels]
    for index in range(len(verdicts) - 1, -1, -1):
        level, verdict = verdicts[index]
        if verdict is not True:
            continue
        unknown_above = [above.key for above, v in verdicts[index + 1 :] if v is None]
        reasons.append(f"Band {level.key} ({level.label}), scheme {scheme.scheme}: {level.when.describe(facts)}.")
        if unknown_above:
            reasons.append(f"Band is a minimum: unanswered items could still place it in {', '.join(unknown_above)}.")
        return _BandVerdict(level.key, level.label, could_rise_to=tuple(unknown_above))
    if all(verdict is False for _, verdict in verdicts):
        reasons.append(
            f"Band {scheme.otherwise_key} ({scheme.otherwise_label}), scheme {scheme.scheme}: "
            "no level's condition holds."
        )
        return _BandVerdict(scheme.otherwise_key, scheme.otherwise_label)
    reasons.append("No band: no level is met yet and unanswered items could change that.")
    return _BandVerdict()


def _enabled(setting: str | None, facts: Facts) -> bool:
    return setting is None or facts.settings[setting] is True


def _screens(instrument: Instrument, facts: Facts, flags: list[str], reasons: list[str]) -> dict[str, bool | None]:
    screens: dict[str, bool | None] = {}
    for screen in instrument.screens:
        if not _enabled(screen.enabled_by, facts):
            continue
        verdict = screen.when.evaluate(facts)
        screens[screen.id] = verdict
        if verdict is True and screen.flag is not None:
            flags.append(screen.flag)
        reasons.append(
            f"Screen {screen.id} ({screen.label}): {screen.when.describe(facts)} → {_verdict_word(verdict)}."
        )
    return screens


def _flag_rules(instrument: Instrument, facts: Facts, flags: list[str], reasons: list[str]) -> None:
    for rule in instrument.flags:
        if not _enabled(rule.enabled_by, facts):
            continue
        verdict = rule.when.evaluate(facts)
        if verdict is True:
            flags.append(rule.id)
            reasons.append(f"Flag {rule.id} ({rule.level.value}): {rule.when.describe(facts)}.")
        elif verdict is None:
            reasons.append(f"Flag {rule.id} not evaluated: {rule.when.describe(facts)} needs a missing value.")


def _verdict_word(verdict: bool | None) -> str:
    return "unknown" if verdict is None else "yes" if verdict else "no"


def threshold_snapshot(instrument: Instrument, facts: Facts) -> Snapshot:
    """The bands, cut-offs, flag rules and settings in force, as plain data to store."""
    snapshot: dict[str, object] = {
        "scoring_rule_version": instrument.scoring_rule_version,
        "total_rule": _describe_total_rule(instrument, facts),
        "settings": MappingProxyType(dict(facts.settings)),
    }
    scheme = instrument.bands
    if isinstance(scheme, RangeBands):
        snapshot["band_scheme"] = scheme.scheme
        snapshot["bands"] = tuple(
            MappingProxyType({"key": b.key, "min": b.minimum, "max": b.maximum}) for b in scheme.bands
        )
    elif isinstance(scheme, TriggeredBands):
        snapshot["band_scheme"] = scheme.scheme
        levels = [
            MappingProxyType({"key": level.key, "when": level.when.describe(facts, with_values=False)})
            for level in scheme.levels
        ]
        otherwise = MappingProxyType({"key": scheme.otherwise_key, "when": "no level met"})
        snapshot["bands"] = (*levels, otherwise)
    snapshot["screens"] = MappingProxyType(
        {
            screen.id: screen.when.describe(facts, with_values=False)
            for screen in instrument.screens
            if _enabled(screen.enabled_by, facts)
        }
    )
    snapshot["flags"] = MappingProxyType(
        {
            rule.id: rule.when.describe(facts, with_values=False)
            for rule in instrument.flags
            if _enabled(rule.enabled_by, facts)
        }
    )
    return MappingProxyType(snapshot)


def _describe_total_rule(instrument: Instrument, facts: Facts) -> str:
    rule = instrument.total
    if isinstance(rule, NoTotal):
        return "none"
    if isinstance(rule, SingleItemTotal):
        return f"level of item {rule.item}"
    if isinstance(rule, SumTotal):
        text = f"sum of {describe_item_numbers(rule.items)}"
        if rule.prorate_max_missing is not None:
            text += f"; prorate with at most {rule.prorate_max_missing.describe(facts)} missing"
        return text
    domains = ", ".join(f"{d.combine.value}({describe_item_numbers(d.items)})" for d in rule.domains)
    return f"sum of domains: {domains}"
