"""Read an instrument data file into an ``Instrument`` and check that it is coherent.

A data file that breaks these rules is a defect in the shipped library, not bad user input,
so it raises ``InstrumentDefinitionError`` rather than a ``DomainError``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from enum import StrEnum
from types import MappingProxyType

from ketaclinic.core.errors import RuleViolation
from ketaclinic.core.instruments.conditions import (
    AllOf,
    AnyOf,
    AtLeast,
    AtLeastItems,
    BandIs,
    Comparator,
    Comparison,
    Condition,
    ItemIs,
    LiteralThreshold,
    ScoreIs,
    SettingThreshold,
    Sex,
    SexThreshold,
    Threshold,
)
from ketaclinic.core.instruments.consistency import check_instrument
from ketaclinic.core.instruments.definitions import (
    AnswerOption,
    Band,
    BandScheme,
    Basis,
    ChangeDirection,
    ChangeThreshold,
    Combine,
    CompletedBy,
    DerivedScore,
    Direction,
    Domain,
    DomainSumTotal,
    Embedding,
    FlagLevel,
    FlagRule,
    Instrument,
    InstrumentVersion,
    Item,
    LicenseClass,
    LoincCodes,
    NoTotal,
    Outcomes,
    RangeBands,
    RapidResponseDefinition,
    RemissionDefinition,
    ResponseDefinition,
    ScoreRange,
    Screen,
    SettingSpec,
    SettingType,
    SingleItemTotal,
    Subscale,
    SumTotal,
    TotalRule,
    TriggeredBands,
    TriggeredLevel,
    Wording,
)

CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
LOINC_PATTERN = re.compile(r"^\d{1,7}-\d$")


class InstrumentDefinitionError(Exception):
    """A shipped instrument data file is malformed or inconsistent."""


def parse_instrument(data: object, *, origin: str) -> Instrument:
    """Build and check an ``Instrument`` from the mapping a data file holds."""
    reader = _Reader(origin)
    instrument = reader.instrument(reader.mapping(data, "file"))
    problems = check_instrument(instrument)
    if problems:
        raise InstrumentDefinitionError(f"{origin}: " + "; ".join(problems))
    return instrument


class _Reader:
    def __init__(self, origin: str) -> None:
        self.origin = origin

    def fail(self, where: str, message: str) -> InstrumentDefinitionError:
        return InstrumentDefinitionError(f"{self.origin}: {where}: {message}")

    # --- primitive readers -------------------------------------------------------------

    def mapping(self, value: object, where: str) -> Mapping[str, object]:
        if not isinstance(value, Mapping):
            raise self.fail(where, "expected a mapping")
        for key in value:
            if not isinstance(key, str):
                raise self.fail(where, f"keys must be text, got {key!r}")
        return value

    def int_keyed(self, value: object, where: str) -> Mapping[int, object]:
        if not isinstance(value, Mapping):
            raise self.fail(where, "expected a mapping")
        result: dict[int, object] = {}
        for key, item in value.items():
            if not isinstance(key, int) or isinstance(key, bool):
                raise self.fail(where, f"keys must be item numbers, got {key!r}")
            result[key] = item
        return result

    def sequence(self, value: object, where: str) -> Sequence[object]:
        if not isinstance(value, list):
            raise self.fail(where, "expected a list")
        return value

    def text(self, value: object, where: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, "expected non-empty text")
        return value.strip()

    def optional_text(self, value: object, where: str) -> str | None:
        return None if value is None else self.text(value, where)

    def integer(self, value: object, where: str) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(where, f"expected a whole number, got {value!r}")
        return value

    def boolean(self, value: object, where: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(where, f"expected true or false, got {value!r}")
        return value

    def integers(self, value: object, where: str) -> tuple[int, ...]:
        return tuple(self.integer(v, f"{where}[{i}]") for i, v in enumerate(self.sequence(value, where)))

    def texts(self, value: object, where: str) -> tuple[str, ...]:
        return tuple(self.text(v, f"{where}[{i}]") for i, v in enumerate(self.sequence(value, where)))

    def translations(self, value: object, where: str) -> Mapping[str, str]:
        if value is None:
            return MappingProxyType({})
        raw = self.mapping(value, where)
        return MappingProxyType({language: self.text(text, f"{where}.{language}") for language, text in raw.items()})

    def span(self, value: object, where: str) -> ScoreRange:
        bounds = self.integers(value, where)
        if len(bounds) != 2 or bounds[0] > bounds[1]:
            raise self.fail(where, "expected [minimum, maximum]")
        return ScoreRange(bounds[0], bounds[1])

    def enum[E: StrEnum](self, kind: type[E], value: object, where: str) -> E:
        allowed = [member.value for member in kind]
        if not isinstance(value, str) or value not in allowed:
            raise self.fail(where, f"expected one of {', '.join(allowed)}, got {value!r}")
        return kind(value)

    def only_keys(self, raw: Mapping[str, object], where: str, allowed: Iterable[str]) -> None:
        unknown = set(raw) - set(allowed)
        if unknown:
            raise self.fail(where, f"unknown keys {sorted(unknown)}")

    # --- the instrument ----------------------------------------------------------------

    def instrument(self, raw: Mapping[str, object]) -> Instrument:
        self.only_keys(raw, "file", _INSTRUMENT_KEYS)
        missing = [key for key in _REQUIRED_KEYS if key not in raw]
        if missing:
            raise self.fail("file", f"missing required keys {missing}")
        code = self.text(raw["code"], "code")
        if not CODE_PATTERN.match(code):
            raise self.fail("code", f"{code!r} is not a lower-case identifier")
        option_sets = self.option_sets(raw.get("option_sets"))
        loinc = self.loinc(raw["loinc"])
        reverse = set(self.integers(raw.get("reverse_scored_items", []), "reverse_scored_items"))
        safety = set(self.integers(raw.get("safety_items", []), "safety_items"))
        items = tuple(
            self.item(entry, f"items[{index}]", option_sets, reverse, safety, loinc.items)
            for index, entry in enumerate(self.sequence(raw["items"], "items"))
        )
        numbers = {item.number for item in items}
        for label, wanted in (
            ("reverse_scored_items", reverse),
            ("safety_items", safety),
        ):
            if not wanted <= numbers:
                raise self.fail(label, f"no such items {sorted(wanted - numbers)}")
        by_number = {item.number: item for item in items}
        total = self.total(self.mapping(raw["total"], "total"), by_number)
        subscales = tuple(
            self.subscale(entry, f"subscales[{index}]", by_number)
            for index, entry in enumerate(self.sequence(raw.get("subscales", []), "subscales"))
        )
        wording = self.enum(Wording, raw["wording"], "wording")
        draft = Instrument(
            code=code,
            name=self.text(raw["name"], "name"),
            short_name=self.text(raw["short_name"], "short_name"),
            versions=self.versions(raw["versions"]),
            scoring_rule_version=self.text(raw["scoring_rule_version"], "scoring_rule_version"),
            completed_by=self.enum(CompletedBy, raw["completed_by"], "completed_by"),
            recall_window=self.text(raw["recall_window"], "recall_window"),
            recall_days=(None if raw.get("recall_days") is None else self.integer(raw["recall_days"], "recall_days")),
            direction=self.enum(Direction, raw["direction"], "direction"),
            wording=wording,
            license_class=self.enum(LicenseClass, raw["license_class"], "license_class"),
            licence_note=self.text(raw["licence"], "licence"),
            attribution=self.optional_text(raw.get("attribution"), "attribution"),
            source=self.text(raw["source"], "source"),
            sources=self.texts(raw.get("sources", []), "sources"),
            languages=self.texts(raw.get("languages", []), "languages"),
            instructions=self.translations(raw.get("instructions"), "instructions"),
            items=items,
            total=total,
            subscales=subscales,
            derived_scores=(),
            bands=None,
            screens=(),
            flags=(),
            settings=tuple(
                self.setting(entry, f"settings[{index}]")
                for index, entry in enumerate(self.sequence(raw.get("settings", []), "settings"))
            ),
            loinc=loinc,
            outcomes=None,
            embedded_in=tuple(
                self.embedding(entry, f"embedded_in[{index}]")
                for index, entry in enumerate(self.sequence(raw.get("embedded_in", []), "embedded_in"))
            ),
            notes=self.texts(raw.get("notes", []), "notes"),
        )
        # Derived score ranges depend on the ranges of the scores above, so build in steps.
        derived = tuple(
            self.derived(entry, f"derived_scores[{index}]", draft)
            for index, entry in enumerate(self.sequence(raw.get("derived_scores", []), "derived_scores"))
        )
        return replace(
            draft,
            derived_scores=derived,
            bands=None if raw.get("bands") is None else self.bands(raw["bands"]),
            screens=tuple(
                self.screen(entry, f"screens[{index}]")
                for index, entry in enumerate(self.sequence(raw.get("screens", []), "screens"))
            ),
            flags=tuple(
                self.flag(entry, f"flags[{index}]")
                for index, entry in enumerate(self.sequence(raw.get("flags", []), "flags"))
            ),
            outcomes=None if raw.get("outcomes") is None else self.outcomes(raw["outcomes"]),
        )

    def versions(self, value: object) -> tuple[InstrumentVersion, ...]:
        versions = []
        for index, entry in enumerate(self.sequence(value, "versions")):
            where = f"versions[{index}]"
            raw = self.mapping(entry, where)
            self.only_keys(raw, where, ("id", "recall_window", "note"))
            versions.append(
                InstrumentVersion(
                    id=self.text(raw.get("id"), f"{where}.id"),
                    recall_window=self.text(raw.get("recall_window"), f"{where}.recall_window"),
                    note=self.optional_text(raw.get("note"), f"{where}.note") or "",
                )
            )
        if not versions:
            raise self.fail("versions", "at least one version is required")
        return tuple(versions)

    def option_sets(self, value: object) -> Mapping[str, tuple[AnswerOption, ...]]:
        if value is None:
            return {}
        raw = self.mapping(value, "option_sets")
        return {name: self.options(entry, f"option_sets.{name}") for name, entry in raw.items()}

    def options(self, value: object, where: str) -> tuple[AnswerOption, ...]:
        options = []
        for index, entry in enumerate(self.sequence(value, where)):
            at = f"{where}[{index}]"
            raw = self.mapping(entry, at)
            self.only_keys(raw, at, ("value", "code", "label"))
            options.append(
                AnswerOption(
                    value=self.integer(raw.get("value"), f"{at}.value"),
                    code=self.text(raw.get("code"), f"{at}.code"),
                    label=self.translations(raw.get("label"), f"{at}.label"),
                )
            )
        if not options:
            raise self.fail(where, "an item needs at least one answer option")
        return tuple(options)

    def item(
        self,
        value: object,
        where: str,
        option_sets: Mapping[str, tuple[AnswerOption, ...]],
        reverse: set[int],
        safety: set[int],
        loinc_items: Mapping[int, str],
    ) -> Item:
        raw = self.mapping(value, where)
        self.only_keys(raw, where, _ITEM_KEYS)
        number = self.integer(raw.get("number"), f"{where}.number")
        options_value = raw.get("options")
        if isinstance(options_value, str):
            if options_value not in option_sets:
                raise self.fail(f"{where}.options", f"no option set {options_value!r}")
            options = option_sets[options_value]
        else:
            options = self.options(options_value, f"{where}.options")
        scored = self.boolean(raw.get("scored", True), f"{where}.scored")
        ask_when = raw.get("ask_when")
        not_asked_value = raw.get("not_asked_value")
        return Item(
            number=number,
            display_number=str(raw.get("display_number", number)),
            topic=self.text(raw.get("topic"), f"{where}.topic"),
            scored=scored,
            required=self.boolean(raw.get("required", scored), f"{where}.required"),
            reverse=number in reverse,
            safety=number in safety,
            options=options,
            text=self.translations(raw.get("text"), f"{where}.text"),
            ask_when=None if ask_when is None else self.condition(ask_when, f"{where}.ask_when"),
            skip_enabled_by=self.optional_text(raw.get("skip_enabled_by"), f"{where}.skip_enabled_by"),
            not_asked_value=(
                None if not_asked_value is None else self.integer(not_asked_value, f"{where}.not_asked_value")
            ),
            loinc=loinc_items.get(number),
        )

    def total(self, raw: Mapping[str, object], items: Mapping[int, Item]) -> TotalRule:
        rule = raw.get("rule")
        if rule == "none":
            self.only_keys(raw, "total", ("rule",))
            return NoTotal()
        declared = self.span(raw.get("range"), "total.range")
        scored = tuple(sorted(number for number, item in items.items() if item.scored))
        if rule == "sum":
            self.only_keys(raw, "total", ("rule", "range", "items", "prorate_max_missing"))
            numbers = self.integers(raw["items"], "total.items") if "items" in raw else scored
            prorate = raw.get("prorate_max_missing")
            return SumTotal(
                items=numbers,
                range=declared,
                prorate_max_missing=(None if prorate is None else self.threshold(prorate, "total.prorate_max_missing")),
            )
        if rule == "domain_sum":
            self.only_keys(raw, "total", ("rule", "range", "domains"))
            domains = []
            for index, entry in enumerate(self.sequence(raw.get("domains"), "total.domains")):
                at = f"total.domains[{index}]"
                domain = self.mapping(entry, at)
                self.only_keys(
                    domain,
                    at,
                    ("id", "name", "combine", "items", "partial_as_zero_setting", "answer_groups"),
                )
                domains.append(
                    Domain(
                        id=self.text(domain.get("id"), f"{at}.id"),
                        name=self.text(domain.get("name"), f"{at}.name"),
                        combine=self.enum(Combine, domain.get("combine"), f"{at}.combine"),
                        items=self.integers(domain.get("items"), f"{at}.items"),
                        partial_as_zero_setting=self.optional_text(
                            domain.get("partial_as_zero_setting"),
                            f"{at}.partial_as_zero_setting",
                        ),
                        answer_groups=tuple(
                            self.integers(group, f"{at}.answer_groups[{number}]")
                            for number, group in enumerate(
                                self.sequence(domain.get("answer_groups", []), f"{at}.answer_groups")
                            )
                        ),
                    )
                )
            return DomainSumTotal(domains=tuple(domains), range=declared)
        if rule == "single":
            self.only_keys(raw, "total", ("rule", "range", "item"))
            return SingleItemTotal(item=self.integer(raw.get("item"), "total.item"), range=declared)
        raise self.fail("total.rule", f"expected sum, domain_sum, single or none, got {rule!r}")

    def subscale(self, value: object, where: str, items: Mapping[int, Item]) -> Subscale:
        raw = self.mapping(value, where)
        self.only_keys(raw, where, ("id", "name", "items"))
        numbers = self.integers(raw.get("items"), f"{where}.items")
        unknown = [number for number in numbers if number not in items]
        if unknown:
            raise self.fail(f"{where}.items", f"no such items {unknown}")
        ranges = [items[number].value_range for number in numbers]
        return Subscale(
            id=self.text(raw.get("id"), f"{where}.id"),
            name=self.text(raw.get("name"), f"{where}.name"),
            items=numbers,
            range=ScoreRange(sum(r.minimum for r in ranges), sum(r.maximum for r in ranges)),
        )

    def derived(self, value: object, where: str, draft: Instrument) -> DerivedScore:
        raw = self.mapping(value, where)
        self.only_keys(raw, where, ("id", "name", "from", "multiply", "range"))
        source = self.text(raw.get("from"), f"{where}.from")
        multiply = self.integer(raw.get("multiply"), f"{where}.multiply")
        ranges = draft.score_ranges()
        if source not in ranges:
            raise self.fail(f"{where}.from", f"no score {source!r}")
        declared = self.span(raw.get("range"), f"{where}.range")
        base = ranges[source]
        if declared != ScoreRange(base.minimum * multiply, base.maximum * multiply):
            raise self.fail(f"{where}.range", f"{declared} is not {base} x {multiply}")
        return DerivedScore(
            id=self.text(raw.get("id"), f"{where}.id"),
            name=self.text(raw.get("name"), f"{where}.name"),
            source=source,
            multiply=multiply,
            range=declared,
        )

    def bands(self, value: object) -> BandScheme:
        raw = self.mapping(value, "bands")
        scheme = self.text(raw.get("scheme"), "bands.scheme")
        source = self.text(raw.get("source"), "bands.source")
        if "ranges" in raw:
            self.only_keys(raw, "bands", ("scheme", "source", "score", "ranges"))
            bands = []
            for index, entry in enumerate(self.sequence(raw["ranges"], "bands.ranges")):
                at = f"bands.ranges[{index}]"
                band = self.mapping(entry, at)
                self.only_keys(band, at, ("min", "max", "key", "label", "action"))
                bands.append(
                    Band(
                        key=self.text(band.get("key"), f"{at}.key"),
                        label=self.text(band.get("label"), f"{at}.label"),
                        minimum=self.integer(band.get("min"), f"{at}.min"),
                        maximum=self.integer(band.get("max"), f"{at}.max"),
                        action=self.optional_text(band.get("action"), f"{at}.action"),
                    )
                )
            return RangeBands(
                scheme=scheme,
                score=self.text(raw.get("score", "total"), "bands.score"),
                source=source,
                bands=tuple(bands),
            )
        self.only_keys(raw, "bands", ("scheme", "source", "highest_triggered", "otherwise"))
        levels = []
        for index, entry in enumerate(self.sequence(raw.get("highest_triggered"), "bands.highest_triggered")):
            at = f"bands.highest_triggered[{index}]"
            level = self.mapping(entry, at)
            self.only_keys(level, at, ("key", "label", "when", "action"))
            levels.append(
                TriggeredLevel(
                    key=self.text(level.get("key"), f"{at}.key"),
                    label=self.text(level.get("label"), f"{at}.label"),
                    when=self.condition(level.get("when"), f"{at}.when"),
                    action=self.optional_text(level.get("action"), f"{at}.action"),
                )
            )
        otherwise = self.mapping(raw.get("otherwise"), "bands.otherwise")
        return TriggeredBands(
            scheme=scheme,
            source=source,
            levels=tuple(levels),
            otherwise_key=self.text(otherwise.get("key"), "bands.otherwise.key"),
            otherwise_label=self.text(otherwise.get("label"), "bands.otherwise.label"),
        )

    def screen(self, value: object, where: str) -> Screen:
        raw = self.mapping(value, where)
        self.only_keys(raw, where, ("id", "label", "when", "basis", "source", "enabled_by", "flag"))
        return Screen(
            id=self.text(raw.get("id"), f"{where}.id"),
            label=self.text(raw.get("label"), f"{where}.label"),
            when=self.condition(raw.get("when"), f"{where}.when"),
            basis=self.enum(Basis, raw.get("basis"), f"{where}.basis"),
            source=self.text(raw.get("source"), f"{where}.source"),
            enabled_by=self.optional_text(raw.get("enabled_by"), f"{where}.enabled_by"),
            flag=self.optional_text(raw.get("flag"), f"{where}.flag"),
        )

    def flag(self, value: object, where: str) -> FlagRule:
        raw = self.mapping(value, where)
        self.only_keys(
            raw,
            where,
            ("id", "when", "level", "action", "basis", "source", "enabled_by"),
        )
        return FlagRule(
            id=self.text(raw.get("id"), f"{where}.id"),
            when=self.condition(raw.get("when"), f"{where}.when"),
            level=self.enum(FlagLevel, raw.get("level"), f"{where}.level"),
            action=self.text(raw.get("action"), f"{where}.action"),
            basis=self.enum(Basis, raw.get("basis"), f"{where}.basis"),
            source=self.text(raw.get("source"), f"{where}.source"),
            enabled_by=self.optional_text(raw.get("enabled_by"), f"{where}.enabled_by"),
        )

    def setting(self, value: object, where: str) -> SettingSpec:
        raw = self.mapping(value, where)
        self.only_keys(
            raw,
            where,
            (
                "key",
                "type",
                "default",
                "basis",
                "description",
                "minimum",
                "maximum",
                "choices",
            ),
        )
        kind = self.enum(SettingType, raw.get("type"), f"{where}.type")
        minimum = raw.get("minimum")
        maximum = raw.get("maximum")
        if kind is SettingType.INT and (minimum is None or maximum is None):
            raise self.fail(where, "a whole-number setting needs minimum and maximum")
        spec = SettingSpec(
            key=self.text(raw.get("key"), f"{where}.key"),
            type=kind,
            default=False,
            basis=self.enum(Basis, raw.get("basis"), f"{where}.basis"),
            description=self.text(raw.get("description"), f"{where}.description"),
            minimum=None if minimum is None else self.integer(minimum, f"{where}.minimum"),
            maximum=None if maximum is None else self.integer(maximum, f"{where}.maximum"),
            choices=self.texts(raw.get("choices", []), f"{where}.choices"),
        )
        default = raw.get("default")
        try:
            checked = spec.check(default)
        except RuleViolation as error:
            raise self.fail(f"{where}.default", str(error)) from None
        return replace(spec, default=checked)

    def loinc(self, value: object) -> LoincCodes:
        raw = self.mapping(value, "loinc")
        self.only_keys(raw, "loinc", ("panel", "total", "band", "items", "note"))
        codes: dict[str, str | None] = {}
        for key in ("panel", "total", "band"):
            code = self.optional_text(raw.get(key), f"loinc.{key}")
            if code is not None and not LOINC_PATTERN.match(code):
                raise self.fail(f"loinc.{key}", f"{code!r} is not a LOINC code")
            codes[key] = code
        items: dict[int, str] = {}
        for number, code_value in self.int_keyed(raw.get("items", {}), "loinc.items").items():
            code = self.text(code_value, f"loinc.items.{number}")
            if not LOINC_PATTERN.match(code):
                raise self.fail(f"loinc.items.{number}", f"{code!r} is not a LOINC code")
            items[number] = code
        return LoincCodes(
            panel=codes["panel"],
            total=codes["total"],
            band=codes["band"],
            items=MappingProxyType(items),
            note=self.text(raw.get("note"), "loinc.note"),
        )

    def embedding(self, value: object, where: str) -> Embedding:
        raw = self.mapping(value, where)
        self.only_keys(raw, where, ("instrument", "items"))
        items = {
            own: self.integer(source, f"{where}.items.{own}")
            for own, source in self.int_keyed(raw.get("items"), f"{where}.items").items()
        }
        return Embedding(
            instrument=self.text(raw.get("instrument"), f"{where}.instrument"),
            items=MappingProxyType(items),
        )

    def outcomes(self, value: object) -> Outcomes:
        raw = self.mapping(value, "outcomes")
        self.only_keys(raw, "outcomes", ("response", "remission", "rapid_response", "change"))
        response = None
        if raw.get("response") is not None:
            entry = self.mapping(raw["response"], "outcomes.response")
            self.only_keys(entry, "outcomes.response", _DEFINITION_KEYS | {"min_improvement"})
            response = ResponseDefinition(
                id=self.text(entry.get("id"), "outcomes.response.id"),
                version=self.text(entry.get("version"), "outcomes.response.version"),
                min_improvement_percent=self.threshold(
                    entry.get("min_improvement"), "outcomes.response.min_improvement"
                ),
                definition=self.text(entry.get("definition"), "outcomes.response.definition"),
                source=self.text(entry.get("source"), "outcomes.response.source"),
            )
        remissions: list[RemissionDefinition] = []
        default_remission = None
        default_remission_setting = None
        if raw.get("remission") is not None:
            entry = self.mapping(raw["remission"], "outcomes.remission")
            self.only_keys(entry, "outcomes.remission", ("default", "definitions"))
            default = entry.get("default")
            if isinstance(default, Mapping):
                chosen = self.mapping(default, "outcomes.remission.default")
                self.only_keys(chosen, "outcomes.remission.default", ("setting",))
                default_remission_setting = self.text(chosen.get("setting"), "outcomes.remission.default.setting")
            else:
                default_remission = self.text(default, "outcomes.remission.default")
            for index, item in enumerate(self.sequence(entry.get("definitions"), "outcomes.remission.definitions")):
                at = f"outcomes.remission.definitions[{index}]"
                definition = self.mapping(item, at)
                self.only_keys(definition, at, _DEFINITION_KEYS | {"max_total"})
                remissions.append(
                    RemissionDefinition(
                        id=self.text(definition.get("id"), f"{at}.id"),
                        version=self.text(definition.get("version"), f"{at}.version"),
                        max_total=self.threshold(definition.get("max_total"), f"{at}.max_total"),
                        definition=self.text(definition.get("definition"), f"{at}.definition"),
                        source=self.text(definition.get("source"), f"{at}.source"),
                    )
                )
        rapid = None
        if raw.get("rapid_response") is not None:
            at = "outcomes.rapid_response"
            entry = self.mapping(raw["rapid_response"], at)
            self.only_keys(entry, at, _DEFINITION_KEYS | {"target_hours", "tolerance_hours"})
            rapid = RapidResponseDefinition(
                id=self.text(entry.get("id"), f"{at}.id"),
                version=self.text(entry.get("version"), f"{at}.version"),
                target_hours=self.integer(entry.get("target_hours"), f"{at}.target_hours"),
                tolerance_hours=self.integer(entry.get("tolerance_hours"), f"{at}.tolerance_hours"),
                definition=self.text(entry.get("definition"), f"{at}.definition"),
                source=self.text(entry.get("source"), f"{at}.source"),
            )
        changes = []
        for index, item in enumerate(self.sequence(raw.get("change", []), "outcomes.change")):
            at = f"outcomes.change[{index}]"
            entry = self.mapping(item, at)
            self.only_keys(
                entry,
                at,
                _DEFINITION_KEYS | {"direction", "score", "min_points", "basis"},
            )
            changes.append(
                ChangeThreshold(
                    id=self.text(entry.get("id"), f"{at}.id"),
                    version=self.text(entry.get("version"), f"{at}.version"),
                    direction=self.enum(ChangeDirection, entry.get("direction"), f"{at}.direction"),
                    score=self.text(entry.get("score", "total"), f"{at}.score"),
                    min_points=self.threshold(entry.get("min_points"), f"{at}.min_points"),
                    definition=self.text(entry.get("definition"), f"{at}.definition"),
                    basis=self.enum(Basis, entry.get("basis"), f"{at}.basis"),
                    source=self.text(entry.get("source"), f"{at}.source"),
                )
            )
        return Outcomes(
            response=response,
            remission=tuple(remissions),
            default_remission=default_remission,
            default_remission_setting=default_remission_setting,
            rapid_response=rapid,
            change_thresholds=tuple(changes),
        )

    # --- the condition vocabulary ------------------------------------------------------

    def threshold(self, value: object, where: str) -> Threshold:
        if isinstance(value, int) and not isinstance(value, bool):
            return LiteralThreshold(value)
        raw = self.mapping(value, where)
        if "setting" in raw:
            self.only_keys(raw, where, ("setting",))
            return SettingThreshold(self.text(raw["setting"], f"{where}.setting"))
        if "by_sex" in raw:
            self.only_keys(raw, where, ("by_sex", "default"))
            cases = {
                self.enum(Sex, sex, f"{where}.by_sex"): self.threshold(case, f"{where}.by_sex.{sex}")
                for sex, case in self.mapping(raw["by_sex"], f"{where}.by_sex").items()
            }
            return SexThreshold(
                cases=MappingProxyType(cases),
                default=self.threshold(raw.get("default"), f"{where}.default"),
            )
        raise self.fail(where, "expected a number, {setting: key} or {by_sex: …, default: …}")

    def comparison(self, raw: Mapping[str, object], where: str) -> Comparison:
        found = [key for key in raw if key in _COMPARATORS]
        if len(found) != 1:
            raise self.fail(where, f"expected exactly one of {', '.join(_COMPARATORS)}")
        key = found[0]
        return Comparison(Comparator(key), self.threshold(raw[key], f"{where}.{key}"))

    def condition(self, value: object, where: str) -> Condition:
        raw = self.mapping(value, where)
        if "item" in raw:
            self.only_keys(raw, where, {"item", *_COMPARATORS})
            return ItemIs(self.integer(raw["item"], f"{where}.item"), self.comparison(raw, where))
        if "band" in raw:
            self.only_keys(raw, where, ("band",))
            return BandIs(self.text(raw["band"], f"{where}.band"))
        if "score" in raw:
            self.only_keys(raw, where, {"score", *_COMPARATORS})
            return ScoreIs(self.text(raw["score"], f"{where}.score"), self.comparison(raw, where))
        if "all" in raw or "any" in raw:
            key = "all" if "all" in raw else "any"
            self.only_keys(raw, where, (key,))
            parts = tuple(
                self.condition(entry, f"{where}.{key}[{index}]")
                for index, entry in enumerate(self.sequence(raw[key], f"{where}.{key}"))
            )
            if not parts:
                raise self.fail(where, f"{key} needs at least one condition")
            return AllOf(parts) if key == "all" else AnyOf(parts)
        if "at_least" in raw:
            count = self.integer(raw["at_least"], f"{where}.at_least")
            if "of_items" in raw:
                self.only_keys(raw, where, {"at_least", "of_items", *_COMPARATORS})
                return AtLeastItems(
                    count,
                    self.integers(raw["of_items"], f"{where}.of_items"),
                    self.comparison(raw, where),
                )
            self.only_keys(raw, where, ("at_least", "of"))
            return AtLeast(
                count,
                tuple(
                    self.condition(entry, f"{where}.of[{index}]")
                    for index, entry in enumerate(self.sequence(raw.get("of"), f"{where}.of"))
                ),
            )
        raise self.fail(where, "expected a condition: item, score, band, all, any or at_least")


_COMPARATORS = tuple(comparator.value for comparator in Comparator)
_DEFINITION_KEYS = frozenset({"id", "version", "definition", "source"})
_ITEM_KEYS = (
    "number",
    "display_number",
    "topic",
    "scored",
    "required",
    "options",
    "text",
    "ask_when",
    "skip_enabled_by",
    "not_asked_value",
)
_REQUIRED_KEYS = (
    "code",
    "name",
    "short_name",
    "versions",
    "scoring_rule_version",
    "completed_by",
    "recall_window",
    "direction",
    "wording",
    "license_class",
    "licence",
    "source",
    "items",
    "total",
    "loinc",
)
_INSTRUMENT_KEYS = (
    *_REQUIRED_KEYS,
    "recall_days",
    "attribution",
    "sources",
    "languages",
    "instructions",
    "option_sets",
    "reverse_scored_items",
    "safety_items",
    "subscales",
    "derived_scores",
    "bands",
    "screens",
    "flags",
    "settings",
    "outcomes",
    "embedded_in",
    "notes",
)
