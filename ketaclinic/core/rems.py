"""The esketamine REMS patient monitoring form as versioned data: fields, deadline, validation.

The form's definitions live in ``rules/rems_monitoring_form.yaml``. A change to the program's
form is a new definition there with its own version and effective date; nothing here changes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from typing import Any, Final

import yaml

from ketaclinic.core.monitoring import PLAUSIBLE


class FieldKind(StrEnum):
    TEXT = "text"
    DATE = "date"
    YES_NO = "yes_no"
    CHOICE = "choice"
    INTEGER = "integer"
    BLOOD_PRESSURE = "blood_pressure"
    PHONE = "phone"
    EMAIL = "email"


YES_NO_CHOICES: Final = (("yes", "Yes"), ("no", "No"))
# Bounds that no living patient's blood pressure crosses: the flowsheet's plausibility bounds.
SYSTOLIC_RANGE: Final = PLAUSIBLE["systolic_mmhg"]
DIASTOLIC_RANGE: Final = PLAUSIBLE["diastolic_mmhg"]
DEFAULT_TEXT_LENGTH: Final = 200
_BLOOD_PRESSURE = re.compile(r"^\s*(\d{2,3})\s*/\s*(\d{2,3})\s*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class RemsValueError(ValueError):
    """A value that does not fit its field; the message names the field and says why."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message


@dataclass(frozen=True, slots=True)
class Condition:
    field: str
    equals: str


@dataclass(frozen=True, slots=True)
class FormField:
    key: str
    section: str
    label: str
    kind: FieldKind
    required: bool = False
    required_when: tuple[Condition, ...] = ()
    choices: tuple[tuple[str, str], ...] = ()
    prefill: str = ""
    prefill_minute: int | None = None
    note: str = ""
    minimum: int | None = None
    maximum: int | None = None
    max_length: int = DEFAULT_TEXT_LENGTH

    @property
    def options(self) -> tuple[tuple[str, str], ...]:
        return YES_NO_CHOICES if self.kind == FieldKind.YES_NO else self.choices


@dataclass(frozen=True, slots=True)
class Section:
    key: str
    label: str


@dataclass(frozen=True, slots=True)
class FormDefinition:
    version: str
    effective_from: dt.date
    deadline_days: int
    deadline_basis: str
    source: str
    sections: tuple[Section, ...]
    fields: tuple[FormField, ...]

    def field(self, key: str) -> FormField:
        for field in self.fields:
            if field.key == key:
                return field
        raise KeyError(key)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(field.key for field in self.fields)

    def fields_of(self, section: str) -> tuple[FormField, ...]:
        return tuple(field for field in self.fields if field.section == section)


def _field_from_yaml(raw: Mapping[str, Any], *, version: str) -> FormField:
    where = f"{version}: field {raw.get('key')!r}"
    try:
        kind = FieldKind(raw["kind"])
    except ValueError:
        raise ValueError(f"{where} has an unknown kind {raw['kind']!r}") from None
    choices = tuple((str(value), str(label)) for value, label in raw.get("choices", ()))
    if kind == FieldKind.CHOICE and not choices:
        raise ValueError(f"{where} is a choice with no choices")
    return FormField(
        key=str(raw["key"]),
        section=str(raw["section"]),
        label=str(raw["label"]),
        kind=kind,
        required=bool(raw.get("required", False)),
        required_when=tuple(Condition(str(c["field"]), str(c["equals"])) for c in raw.get("required_when", ())),
        choices=choices,
        prefill=str(raw.get("prefill", "")),
        prefill_minute=raw.get("prefill_minute"),
        note=str(raw.get("note", "")),
        minimum=raw.get("minimum"),
        maximum=raw.get("maximum"),
        max_length=int(raw.get("max_length", DEFAULT_TEXT_LENGTH)),
    )


def _definition_from_yaml(raw: Mapping[str, Any]) -> FormDefinition:
    version = str(raw["version"])
    effective_from = raw["effective_from"]
    if not isinstance(effective_from, dt.date):
        effective_from = dt.date.fromisoformat(str(effective_from))
    sections = tuple(Section(str(s["key"]), str(s["label"])) for s in raw["sections"])
    fields = tuple(_field_from_yaml(f, version=version) for f in raw["fields"])
    keys = [field.key for field in fields]
    if len(set(keys)) != len(keys):
        raise ValueError(f"{version}: a field key is used twice")
    section_keys = {section.key for section in sections}
    for field in fields:
        if field.section not in section_keys:
            raise ValueError(f"{version}: field {field.key!r} names an unknown section {field.section!r}")
        for condition in field.required_when:
            if condition.field not in keys:
                raise ValueError(f"{version}: field {field.key!r} depends on unknown field {condition.field!r}")
    deadline_days = int(raw["deadline_days"])
    if deadline_days < 1:
        raise ValueError(f"{version}: deadline_days must be at least 1")
    return FormDefinition(
        version=version,
        effective_from=effective_from,
        deadline_days=deadline_days,
        deadline_basis=str(raw.get("deadline_basis", "")),
        source=" ".join(str(raw["source"]).split()),
        sections=sections,
        fields=fields,
    )


def load_definitions(text: str | None = None) -> tuple[FormDefinition, ...]:
    """Every definition in the YAML text (the project's file by default), oldest first."""
    if text is None:
        text = resources.files("ketaclinic.core.rules").joinpath("rems_monitoring_form.yaml").read_text("utf-8")
    document = yaml.safe_load(text)
    definitions = sorted(
        (_definition_from_yaml(raw) for raw in document["definitions"]), key=lambda d: d.effective_from
    )
    versions = [d.version for d in definitions]
    if len(set(versions)) != len(versions):
        raise ValueError("Two REMS form definitions share a version")
    return tuple(definitions)


DEFINITIONS: Final = load_definitions()


def definition_in_force(on: dt.date, definitions: Sequence[FormDefinition] = DEFINITIONS) -> FormDefinition:
    """The definition whose effective date is the latest on or before ``on``.

    A session before the first definition is filled under the first one: the program's form
    existed before the earliest version held here.
    """
    current = definitions[0]
    for definition in definitions:
        if definition.effective_from <= on:
            current = definition
    return current


def definition_get(version: str, definitions: Sequence[FormDefinition] = DEFINITIONS) -> FormDefinition:
    for definition in definitions:
        if definition.version == version:
            return definition
    raise KeyError(version)


def due_on(definition: FormDefinition, treatment_date: dt.date) -> dt.date:
    """The last day to submit: calendar days from the treatment date (rems.md)."""
    return treatment_date + dt.timedelta(days=definition.deadline_days)


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def is_required(field: FormField, values: Mapping[str, Any]) -> bool:
    if field.required:
        return True
    return any(values.get(condition.field) == condition.equals for condition in field.required_when)


def missing_required(definition: FormDefinition, values: Mapping[str, Any]) -> list[FormField]:
    """The required fields still empty, in the form's order."""
    return [field for field in definition.fields if is_required(field, values) and is_empty(values.get(field.key))]


def clean_value(field: FormField, raw: Any) -> Any:
    """The value as stored (JSON-native), or None when empty; RemsValueError when it does not fit."""
    if is_empty(raw):
        return None

    def refuse(message: str) -> RemsValueError:
        return RemsValueError(field.key, f"{field.label}: {message}")

    if field.kind in (FieldKind.YES_NO, FieldKind.CHOICE):
        if isinstance(raw, bool) and field.kind == FieldKind.YES_NO:
            raw = "yes" if raw else "no"
        value = str(raw).strip()
        allowed = [option for option, _label in field.options]
        if value not in allowed:
            raise refuse(f"choose one of {', '.join(label for _o, label in field.options)}.")
        return value
    if field.kind == FieldKind.INTEGER:
        if isinstance(raw, bool):
            raise refuse("enter a whole number.")
        try:
            number = int(str(raw).strip())
        except ValueError:
            raise refuse("enter a whole number.") from None
        if field.minimum is not None and number < field.minimum:
            raise refuse(f"must be at least {field.minimum}.")
        if field.maximum is not None and number > field.maximum:
            raise refuse(f"must be at most {field.maximum}.")
        return number
    if field.kind == FieldKind.DATE:
        if isinstance(raw, dt.datetime):
            raise refuse("enter a date, not a time.")
        if isinstance(raw, dt.date):
            return raw.isoformat()
        try:
            return dt.date.fromisoformat(str(raw).strip()).isoformat()
        except ValueError:
            raise refuse("enter a date as YYYY-MM-DD.") from None
    if field.kind == FieldKind.BLOOD_PRESSURE:
        match = _BLOOD_PRESSURE.match(str(raw))
        if match is None:
            raise refuse("enter systolic/diastolic in mmHg, e.g. 128/82.")
        systolic, diastolic = int(match[1]), int(match[2])
        if not SYSTOLIC_RANGE[0] <= systolic <= SYSTOLIC_RANGE[1]:
            raise refuse(f"a systolic pressure of {systolic} mmHg cannot be right.")
        if not DIASTOLIC_RANGE[0] <= diastolic <= DIASTOLIC_RANGE[1]:
            raise refuse(f"a diastolic pressure of {diastolic} mmHg cannot be right.")
        if diastolic >= systolic:
            raise refuse("the systolic pressure (first) must be higher than the diastolic.")
        return f"{systolic}/{diastolic}"
    value = " ".join(str(raw).split())
    if len(value) > field.max_length:
        raise refuse(f"at most {field.max_length} characters.")
    if field.kind == FieldKind.PHONE and len(re.sub(r"\D", "", value)) < 10:
        raise refuse("enter a telephone number with its area code.")
    if field.kind == FieldKind.EMAIL and not _EMAIL.match(value):
        raise refuse("enter an email address.")
    return value


def clean_values(definition: FormDefinition, raw: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Every field of ``raw`` cleaned, and the errors by field; unknown keys are errors too."""
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    known = set(definition.keys)
    for key in raw:
        if key not in known:
            errors[key] = f"{key} is not a field of the form {definition.version}."
    for field in definition.fields:
        if field.key not in raw:
            continue
        try:
            cleaned[field.key] = clean_value(field, raw[field.key])
        except RemsValueError as error:
            errors[field.key] = error.message
    return cleaned, errors
