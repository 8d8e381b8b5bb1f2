"""Cross-checks on a parsed instrument: references resolve, ranges add up, bands tile."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from ketaclinic.core.instruments.conditions import Condition, Threshold
from ketaclinic.core.instruments.definitions import (
    Combine,
    Direction,
    DomainSumTotal,
    Instrument,
    NoTotal,
    RangeBands,
    ScoreRange,
    SettingType,
    SingleItemTotal,
    SumTotal,
    TriggeredBands,
    Wording,
    domain_range,
)

ENGLISH = "en"
SAFETY_ITEM_MISSING = "safety_item_missing"


def check_instrument(instrument: Instrument) -> list[str]:
    """Every problem found, as text; an empty list means the definition is coherent."""
    checker = _Checker(instrument)
    checker.run()
    return checker.problems


class _Checker:
    def __init__(self, instrument: Instrument) -> None:
        self.instrument = instrument
        self.problems: list[str] = []

    def problem(self, message: str) -> None:
        self.problems.append(message)

    def run(self) -> None:
        self.check_versions()
        self.check_settings()
        self.check_items()
        self.check_wording()
        self.check_total()
        self.check_score_names()
        if self.problems:
            # Later checks look items and scores up; stop before they trip over the gaps.
            return
        self.check_bands()
        self.check_rules()
        self.check_codes()
        self.check_outcomes()

    # --- structure ---------------------------------------------------------------------

    def check_versions(self) -> None:
        for version, count in Counter(v.id for v in self.instrument.versions).items():
            if count > 1:
                self.problem(f"version {version!r} is listed {count} times")

    def check_settings(self) -> None:
        for key, count in Counter(spec.key for spec in self.instrument.settings).items():
            if count > 1:
                self.problem(f"setting {key!r} is declared {count} times")
        for spec in self.instrument.settings:
            if spec.type is SettingType.INT:
                assert spec.minimum is not None
                assert spec.maximum is not None
                if spec.minimum > spec.maximum:
                    self.problem(f"setting {spec.key}: minimum is above maximum")
            if spec.type is SettingType.CHOICE and not spec.choices:
                self.problem(f"setting {spec.key}: a choice setting needs choices")

    def check_items(self) -> None:
        numbers = [item.number for item in self.instrument.items]
        if numbers != list(range(1, len(numbers) + 1)):
            self.problem(f"items must be numbered 1, 2, 3 … in order, got {numbers}")
        for item in self.instrument.items:
            where = f"item {item.number}"
            for label, values in (
                ("value", [option.value for option in item.options]),
                ("code", [option.code for option in item.options]),
            ):
                repeated = [value for value, count in Counter(values).items() if count > 1]
                if repeated:
                    self.problem(f"{where}: option {label}s repeat: {repeated}")
            if item.reverse and not item.scored:
                self.problem(f"{where}: only scored items can be reverse-scored")
            if item.safety and not item.required:
                self.problem(f"{where}: a safety item must be required")
            if item.not_asked_value is not None and item.not_asked_value not in item.values:
                self.problem(f"{where}: not_asked_value is not one of the item's options")
            if item.ask_when is None:
                if item.skip_enabled_by is not None or item.not_asked_value is not None:
                    self.problem(f"{where}: skip settings need an ask_when condition")
                continue
            later = [n for n in item.ask_when.item_numbers() if n >= item.number]
            if later:
                self.problem(f"{where}: ask_when may only look at earlier items, not {later}")
            if item.scored and item.not_asked_value is None:
                self.problem(f"{where}: a scored item that can be skipped needs not_asked_value")
            if any(True for _ in item.ask_when.band_keys()):
                self.problem(f"{where}: ask_when cannot refer to the band")
            self.check_condition(item.ask_when, f"{where} ask_when")
            if item.skip_enabled_by is not None:
                self.check_bool_setting(item.skip_enabled_by, f"{where} skip_enabled_by")

    def check_wording(self) -> None:
        instrument = self.instrument
        if instrument.wording is Wording.LICENSED:
            if instrument.languages or instrument.instructions:
                self.problem("licensed wording: ship no languages or instructions")
            for item in instrument.items:
                if item.text:
                    self.problem(f"item {item.number}: licensed wording must not ship item text")
            return
        if ENGLISH not in instrument.languages:
            self.problem("bundled wording must include English (en) in languages")
        for language in instrument.languages:
            if instrument.wording is Wording.FULL and language not in instrument.instructions:
                self.problem(f"instructions missing in {language}")
            for item in instrument.items:
                if instrument.wording is Wording.FULL and language not in item.text:
                    self.problem(f"item {item.number}: text missing in {language}")
                for option in item.options:
                    if language not in option.label:
                        self.problem(f"item {item.number} option {option.value}: label missing in {language}")

    def check_total(self) -> None:
        instrument = self.instrument
        rule = instrument.total
        scored = {item.number for item in instrument.items if item.scored}
        known = {item.number for item in instrument.items}
        if isinstance(rule, NoTotal):
            if scored:
                self.problem(f"no total rule, yet items {sorted(scored)} are marked scored")
            return
        if isinstance(rule, SumTotal):
            used: list[int] = list(rule.items)
            if rule.prorate_max_missing is not None:
                self.check_threshold(rule.prorate_max_missing, "total prorate_max_missing")
        elif isinstance(rule, DomainSumTotal):
            used = [number for domain in rule.domains for number in domain.items]
            for domain in rule.domains:
                if domain.partial_as_zero_setting is not None:
                    self.check_bool_setting(
                        domain.partial_as_zero_setting,
                        f"domain {domain.id} partial_as_zero",
                    )
                if domain.partial_as_zero_setting is not None and domain.combine is Combine.SUM:
                    self.problem(f"domain {domain.id}: zero-filling only suits max domains")
                grouped = [number for group in domain.answer_groups for number in group]
                if domain.answer_groups and domain.partial_as_zero_setting is None:
                    self.problem(f"domain {domain.id}: answer_groups only apply with partial_as_zero_setting")
                if len(grouped) != len(set(grouped)) or not set(grouped) <= set(domain.items):
                    self.problem(f"domain {domain.id}: answer_groups must be disjoint items of the domain")
        else:
            used = [rule.item]
        repeated = [number for number, count in Counter(used).items() if count > 1]
        if repeated:
            self.problem(f"total rule uses items {repeated} more than once")
        if not set(used) <= known:
            self.problem(f"total rule names unknown items {sorted(set(used) - known)}")
            return
        if set(used) != scored:
            self.problem(f"total rule uses items {sorted(set(used))} but scored items are {sorted(scored)}")
        computed = self.computed_total_range()
        if computed is not None and computed != rule.range:
            self.problem(f"total range is declared {rule.range} but the items give {computed}")

    def computed_total_range(self) -> ScoreRange | None:
        instrument = self.instrument
        rule = instrument.total
        if isinstance(rule, SumTotal):
            ranges = [self.item_range(number) for number in rule.items]
        elif isinstance(rule, DomainSumTotal):
            ranges = [domain_range(instrument, domain) for domain in rule.domains]
        elif isinstance(rule, SingleItemTotal):
            ranges = [self.item_range(rule.item)]
        else:
            return None
        return ScoreRange(sum(r.minimum for r in ranges), sum(r.maximum for r in ranges))

    def item_range(self, number: int) -> ScoreRange:
        item = self.instrument.item(number)
        assert item is not None
        return item.value_range

    def check_score_names(self) -> None:
        instrument = self.instrument
        names: list[str] = []
        if isinstance(instrument.total, DomainSumTotal):
            names += [domain.id for domain in instrument.total.domains]
        names += [subscale.id for subscale in instrument.subscales]
        names += [derived.id for derived in instrument.derived_scores]
        for name, count in Counter(names).items():
            if count > 1:
                self.problem(f"score name {name!r} is used {count} times")
        for reserved in ("total", "change_from_baseline"):
            if reserved in names:
                self.problem(f"score name {reserved!r} is reserved")
        if not instrument.has_total and (instrument.subscales or instrument.derived_scores):
            self.problem("subscales and derived scores need a total rule")

    # --- bands, screens, flags ---------------------------------------------------------

    def check_bands(self) -> None:
        bands = self.instrument.bands
        if bands is None:
            return
        if isinstance(bands, RangeBands):
            self.check_range_bands(bands)
        else:
            self.check_triggered_bands(bands)

    def check_range_bands(self, scheme: RangeBands) -> None:
        score_range = self.instrument.score_ranges().get(scheme.score)
        if score_range is None:
            self.problem(f"bands refer to unknown score {scheme.score!r}")
            return
        self.check_unique((band.key for band in scheme.bands), "band key")
        expected_start = score_range.minimum
        for band in scheme.bands:
            if band.minimum > band.maximum:
                self.problem(f"band {band.key}: min {band.minimum} is above max {band.maximum}")
            if band.minimum > expected_start:
                self.problem(f"bands leave a gap at {expected_start}-{band.minimum - 1}")
            elif band.minimum < expected_start:
                self.problem(f"band {band.key} overlaps the band before it at {band.minimum}")
            expected_start = band.maximum + 1
        if expected_start - 1 != score_range.maximum:
            self.problem(f"bands end at {expected_start - 1} but {scheme.score} runs to {score_range.maximum}")

    def check_triggered_bands(self, scheme: TriggeredBands) -> None:
        if not scheme.levels:
            self.problem("highest_triggered bands need at least one level")
        keys = [level.key for level in scheme.levels] + [scheme.otherwise_key]
        self.check_unique(keys, "band key")
        for level in scheme.levels:
            self.check_condition(level.when, f"band {level.key}")
            if any(True for _ in level.when.band_keys()):
                self.problem(f"band {level.key}: a band condition cannot refer to bands")

    def check_rules(self) -> None:
        instrument = self.instrument
        self.check_unique((screen.id for screen in instrument.screens), "screen id")
        flag_names = [flag.id for flag in instrument.flags]
        flag_names += [screen.flag for screen in instrument.screens if screen.flag is not None]
        self.check_unique(flag_names, "flag id")
        for screen in instrument.screens:
            self.check_condition(screen.when, f"screen {screen.id}")
            if screen.enabled_by is not None:
                self.check_bool_setting(screen.enabled_by, f"screen {screen.id} enabled_by")
            if screen.flag is not None:
                self.check_flag_name(screen.flag, f"screen {screen.id}")
        for flag in instrument.flags:
            self.check_flag_name(flag.id, f"flag {flag.id}")
            self.check_condition(flag.when, f"flag {flag.id}")
            if flag.enabled_by is not None:
                self.check_bool_setting(flag.enabled_by, f"flag {flag.id} enabled_by")

    def check_flag_name(self, name: str, where: str) -> None:
        if name == SAFETY_ITEM_MISSING:
            self.problem(f"{where}: {SAFETY_ITEM_MISSING} is raised by the engine itself")

    def check_codes(self) -> None:
        instrument = self.instrument
        unknown = [n for n in instrument.loinc.items if instrument.item(n) is None]
        if unknown:
            self.problem(f"LOINC codes given for unknown items {unknown}")
        for embedding in instrument.embedded_in:
            unknown = [n for n in embedding.items if instrument.item(n) is None]
            if unknown:
                self.problem(f"embedded_in {embedding.instrument}: unknown items {unknown}")

    def check_outcomes(self) -> None:
        instrument = self.instrument
        outcomes = instrument.outcomes
        if outcomes is None:
            return
        if not instrument.has_total:
            self.problem("outcome definitions need a total score")
            return
        if instrument.direction is Direction.NEITHER:
            self.problem("outcome definitions need a direction of improvement")
        if outcomes.remission and instrument.direction is not Direction.HIGHER_IS_WORSE:
            self.problem("remission as 'total at most N' only suits higher-is-worse scales")
        ids = [definition.id for definition in outcomes.remission]
        self.check_unique(ids, "remission definition id")
        if outcomes.default_remission_setting is not None:
            spec = instrument.setting(outcomes.default_remission_setting)
            if spec is None or spec.type is not SettingType.CHOICE:
                self.problem("the default remission setting must be a choice setting")
            elif set(spec.choices) != set(ids):
                self.problem("the default remission setting must offer exactly the definitions")
        elif outcomes.remission and outcomes.default_remission not in ids:
            self.problem(f"default remission {outcomes.default_remission!r} is not defined")
        if outcomes.response is not None:
            self.check_threshold(outcomes.response.min_improvement_percent, "response")
        for remission in outcomes.remission:
            self.check_threshold(remission.max_total, f"remission {remission.id}")
        ranges = instrument.score_ranges()
        self.check_unique((change.id for change in outcomes.change_thresholds), "change id")
        for change in outcomes.change_thresholds:
            self.check_threshold(change.min_points, f"change {change.id}")
            if change.score not in ranges or change.score == "change_from_baseline":
                self.problem(f"change {change.id}: unknown score {change.score!r}")
            elif change.score != "total" and not any(
                derived.id == change.score for derived in instrument.derived_scores
            ):
                self.problem(f"change {change.id}: use the total or a derived score")

    # --- references --------------------------------------------------------------------

    def check_condition(self, condition: Condition, where: str) -> None:
        instrument = self.instrument
        unknown_items = sorted({n for n in condition.item_numbers() if instrument.item(n) is None})
        if unknown_items:
            self.problem(f"{where}: unknown items {unknown_items}")
        ranges = instrument.score_ranges()
        unknown_scores = sorted({s for s in condition.score_names() if s not in ranges})
        if unknown_scores:
            self.problem(f"{where}: unknown scores {unknown_scores}")
        for key in condition.setting_keys():
            self.check_int_setting(key, where)
        known_bands = self.band_keys()
        unknown_bands = sorted({k for k in condition.band_keys() if k not in known_bands})
        if unknown_bands:
            self.problem(f"{where}: unknown bands {unknown_bands}")

    def band_keys(self) -> set[str]:
        scheme = self.instrument.bands
        if isinstance(scheme, RangeBands):
            return {band.key for band in scheme.bands}
        if isinstance(scheme, TriggeredBands):
            return {level.key for level in scheme.levels} | {scheme.otherwise_key}
        return set()

    def check_threshold(self, threshold: Threshold, where: str) -> None:
        for key in threshold.setting_keys():
            self.check_int_setting(key, where)

    def check_int_setting(self, key: str, where: str) -> None:
        spec = self.instrument.setting(key)
        if spec is None:
            self.problem(f"{where}: unknown setting {key!r}")
        elif spec.type is not SettingType.INT:
            self.problem(f"{where}: setting {key!r} must be a whole number")

    def check_bool_setting(self, key: str, where: str) -> None:
        spec = self.instrument.setting(key)
        if spec is None:
            self.problem(f"{where}: unknown setting {key!r}")
        elif spec.type is not SettingType.BOOL:
            self.problem(f"{where}: setting {key!r} must be true or false")

    def check_unique(self, values: Iterable[str], label: str) -> None:
        for value, count in Counter(values).items():
            if count > 1:
                self.problem(f"{label} {value!r} is used {count} times")


def check_library(instruments: Iterable[Instrument]) -> list[str]:
    """Problems across files: a short form must match the items it borrows (PHQ-2 in PHQ-9)."""
    by_code = {instrument.code: instrument for instrument in instruments}
    problems = []
    for instrument in by_code.values():
        for embedding in instrument.embedded_in:
            source = by_code.get(embedding.instrument)
            if source is None:
                problems.append(f"{instrument.code}: embedded in unknown {embedding.instrument!r}")
                continue
            for own, borrowed in embedding.items.items():
                mine, theirs = instrument.item(own), source.item(borrowed)
                if mine is None or theirs is None or mine.values != theirs.values:
                    problems.append(f"{instrument.code} item {own} does not match {source.code} item {borrowed}")
                elif mine.text != theirs.text:
                    problems.append(f"{instrument.code} item {own} wording differs from {source.code} item {borrowed}")
    return problems
