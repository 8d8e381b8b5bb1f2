"""Protocol dose arithmetic: weight-based doses, caps, volumes, pump rates, esketamine devices.

Every result carries the arithmetic as text (``steps``) so the chair-side nurse and the
co-signing prescriber see exactly how the number was reached, and the ``rule_version`` it was
computed under.

Input numbers are ``Decimal``, ``int`` or a numeric ``str``. A ``float`` is refused with
``TypeError``: binary floats cannot hold values like 0.1 exactly, and converting one silently
would hide where an inexact number came from. Bad values raise :class:`DoseInputError`, which is
both a ``ValueError`` and a :class:`~ketaclinic.core.errors.RuleViolation`.

Rounding rule (version ``DOSING_RULE_VERSION``):

* dose to 0.1 mg, volume to 0.01 mL, pump rate to 0.01 mL/h, each ROUND_HALF_UP;
* the cap is applied before rounding, and a rounding that would pass the cap rounds down
  instead, so neither the dose nor the drug in the drawn-up volume ever exceeds the cap;
* volume is computed from the rounded dose (what is drawn up), and the rate from the rounded
  volume (what the pump is given).

Clinical numbers (protocol defaults, plausibility bounds) are data in ``rules/protocols.yaml``,
each with its source; the named constants below are read from that file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from importlib import resources
from types import MappingProxyType
from typing import Final

import yaml

from ketaclinic.core.errors import RuleViolation
from ketaclinic.core.scheduling import FrequencyRule

DOSING_RULE_VERSION: Final = "dosing-2026.1"

DOSE_STEP_MG: Final = Decimal("0.1")
VOLUME_STEP_ML: Final = Decimal("0.01")
# Many infusion pumps accept 0.01 mL/h below 100 mL/h; a pump with coarser steps changes only
# the running time, because the volume to be infused is programmed separately.
RATE_STEP_ML_PER_HOUR: Final = Decimal("0.01")

MINUTES_PER_HOUR: Final = Decimal(60)

type DecimalInput = Decimal | int | str


class DoseInputError(RuleViolation, ValueError):
    """A dose input is impossible or outside human bounds; the message names the value."""


class Route(StrEnum):
    IV = "iv"
    IM = "im"
    ESKETAMINE_NASAL_SPRAY = "esketamine_nasal_spray"
    ORAL_SUBLINGUAL = "oral_sublingual"


class WeightBasis(StrEnum):
    """Which body weight a mg/kg dose used; protocols.md asks that the basis be stored."""

    ACTUAL = "actual"
    IDEAL = "ideal"
    ADJUSTED = "adjusted"


class DoseRule(StrEnum):
    MG_PER_KG = "mg_per_kg"
    FIXED_MG = "fixed_mg"


class SettingBasis(StrEnum):
    """Where a protocol value came from (see the legend in rules/protocols.yaml)."""

    LABEL = "label"
    PUBLISHED = "published"
    PROJECT_DEFAULT = "project_default"
    UNCONFIRMED = "unconfirmed"


type SettingValue = Decimal | str | tuple[Decimal, ...] | None


@dataclass(frozen=True, slots=True)
class ProtocolSetting:
    name: str
    value: SettingValue
    unit: str
    basis: SettingBasis
    source: str

    @property
    def needs_clinic_confirmation(self) -> bool:
        """Project defaults and unconfirmed values are the clinic's to confirm or replace."""
        return self.basis in (SettingBasis.PROJECT_DEFAULT, SettingBasis.UNCONFIRMED)


@dataclass(frozen=True, slots=True)
class ProtocolDefaults:
    key: str
    route: Route
    drug: str
    dose_rule: DoseRule
    source: str
    version: str
    settings: tuple[ProtocolSetting, ...]
    # How many sessions a week the label allows, by week of the course (rules/protocols.yaml).
    frequency: tuple[FrequencyRule, ...] = ()

    def setting(self, name: str) -> ProtocolSetting:
        for setting in self.settings:
            if setting.name == name:
                return setting
        raise KeyError(f"Protocol {self.key} has no setting {name!r}.")

    def decimal(self, name: str) -> Decimal:
        """Return a single-number setting; fail if the clinic has not set it yet."""
        value = self.setting(name).value
        if not isinstance(value, Decimal):
            raise DoseInputError(
                f"Protocol {self.key} setting {name!r} is not set to a number; the clinic must set it before use.",
                code="protocol_setting_missing",
                field=name,
            )
        return value

    def weight_basis(self) -> WeightBasis:
        return WeightBasis(str(self.setting("weight_basis").value))

    def decimals(self, name: str) -> tuple[Decimal, ...]:
        value = self.setting(name).value
        if not isinstance(value, tuple):
            raise DoseInputError(
                f"Protocol {self.key} setting {name!r} is not a list of numbers.",
                code="protocol_setting_missing",
                field=name,
            )
        return value


@dataclass(frozen=True, slots=True)
class DoseLimits:
    """Plausibility bounds for a weight-based dose; defaults come from rules/protocols.yaml."""

    min_weight_kg: Decimal
    max_weight_kg: Decimal
    min_mg_per_kg: Decimal
    max_mg_per_kg: Decimal
    # The most any session dose may be; None is the hard bound (dose_limits.max_dose_mg).
    max_dose_mg: Decimal | None = None


@dataclass(frozen=True, slots=True)
class WeightBasedDose:
    mg_per_kg: Decimal
    weight_kg: Decimal
    max_mg: Decimal
    concentration_mg_per_ml: Decimal
    minutes: Decimal
    calculated_mg: Decimal
    dose_mg: Decimal
    volume_ml: Decimal
    rate_ml_per_hour: Decimal
    capped: bool
    steps: tuple[str, ...]
    rule_version: str = DOSING_RULE_VERSION


@dataclass(frozen=True, slots=True)
class InjectionDose:
    """A single weight-based injection (IM): no pump rate."""

    mg_per_kg: Decimal
    weight_kg: Decimal
    max_mg: Decimal
    concentration_mg_per_ml: Decimal
    calculated_mg: Decimal
    dose_mg: Decimal
    volume_ml: Decimal
    capped: bool
    steps: tuple[str, ...]
    rule_version: str = DOSING_RULE_VERSION


@dataclass(frozen=True, slots=True)
class FixedDose:
    """A clinic-defined fixed dose (oral or sublingual lozenge or troche) checked against its cap."""

    dose_mg: Decimal
    max_mg: Decimal
    steps: tuple[str, ...]
    rule_version: str = DOSING_RULE_VERSION


@dataclass(frozen=True, slots=True)
class EsketamineDose:
    dose_mg: Decimal
    # The protocol's largest dose option: the session's cap.
    max_mg: Decimal
    device_mg: Decimal
    device_count: int
    rest_minutes_between_devices: Decimal
    minimum_administration_minutes: Decimal
    steps: tuple[str, ...]
    rule_version: str = DOSING_RULE_VERSION


# What the arithmetic returns for a session's dose, by route.
DoseResult = WeightBasedDose | InjectionDose | FixedDose | EsketamineDose


# --- arithmetic -------------------------------------------------------------------------------


def _as_decimal(value: object, *, field: str) -> Decimal:
    # bool is an int subclass; True as a weight is a bug, not 1 kg.
    if isinstance(value, float | bool):
        raise TypeError(
            f"{field} must be a Decimal, int or numeric string, not {type(value).__name__}: "
            "binary floats cannot hold dose values exactly."
        )
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int | str):
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise DoseInputError(f"{field} {value!r} is not a number.", code="not_a_number", field=field) from None
    else:
        raise TypeError(f"{field} must be a Decimal, int or numeric string.")
    if not number.is_finite():
        raise DoseInputError(
            f"{field} {value!r} is not a finite number.",
            code="not_a_number",
            field=field,
        )
    return number


def _positive(value: DecimalInput, *, field: str, label: str) -> Decimal:
    number = _as_decimal(value, field=field)
    if number <= 0:
        raise DoseInputError(
            f"{label} must be greater than zero (got {_show(number)}).",
            code="not_positive",
            field=field,
        )
    return number


def _within(number: Decimal, low: Decimal, high: Decimal, *, field: str, label: str, unit: str) -> None:
    if not low <= number <= high:
        raise DoseInputError(
            f"{label} {_show(number)} {unit} is outside {_show(low)}-{_show(high)} {unit}; "
            "check the value and its unit.",
            code="outside_human_bounds",
            field=field,
        )


def _show(number: Decimal) -> str:
    """Write a number without trailing zeros or exponent: 35.0 -> 35, 1E+2 -> 100."""
    return format(number.normalize(), "f")


def _round_not_past(value: Decimal, step: Decimal, *, limit: Decimal) -> Decimal:
    rounded = value.quantize(step, rounding=ROUND_HALF_UP)
    if rounded > limit:
        return value.quantize(step, rounding=ROUND_DOWN)
    return rounded


def _rounding_note(exact: Decimal, rounded: Decimal, step: Decimal, unit: str) -> str:
    if rounded == exact:
        return ""
    if rounded < exact.quantize(step, rounding=ROUND_HALF_UP):
        return f" (rounded down to {step} {unit} to stay within the cap)"
    return f" (rounded to {step} {unit})"


# --- protocol library -------------------------------------------------------------------------


def _as_setting_value(raw: object, *, where: str) -> SettingValue:
    if raw is None:
        return None
    if isinstance(raw, list):
        return tuple(_as_decimal(item, field=where) for item in raw)
    if isinstance(raw, str):
        try:
            return _as_decimal(raw, field=where)
        except DoseInputError:
            return raw
    raise ValueError(f"{where}: write numbers as quoted strings so they load exactly.")


def _setting_from_yaml(raw: Mapping[str, object], *, where: str) -> ProtocolSetting:
    name = str(raw["name"])
    return ProtocolSetting(
        name=name,
        value=_as_setting_value(raw["value"], where=f"{where}.{name}"),
        unit=str(raw["unit"]),
        basis=SettingBasis(str(raw["basis"])),
        source=str(raw["source"]),
    )


def _frequency_from_yaml(raw: Mapping[str, object]) -> FrequencyRule:
    to_week = raw["to_week"]
    return FrequencyRule(
        from_week=int(str(raw["from_week"])),
        to_week=None if to_week is None else int(str(to_week)),
        max_sessions_per_week=int(str(raw["max_sessions_per_week"])),
        basis=SettingBasis(str(raw["basis"])).value,
        source=str(raw["source"]),
    )


def protocol_library_load(text: str) -> tuple[str, tuple[ProtocolSetting, ...], dict[str, ProtocolDefaults]]:
    """Read a protocol library document (the text of rules/protocols.yaml)."""
    document = yaml.safe_load(text)
    version = str(document["version"])
    limits = tuple(_setting_from_yaml(item, where="dose_limits") for item in document["dose_limits"])
    protocols: dict[str, ProtocolDefaults] = {}
    for item in document["protocols"]:
        key = str(item["key"])
        settings = tuple(_setting_from_yaml(s, where=key) for s in item["settings"])
        names = [setting.name for setting in settings]
        if len(names) != len(set(names)):
            # A second entry with the same name would silently lose to the first in setting().
            repeated = sorted({name for name in names if names.count(name) > 1})
            raise ValueError(f"rules/protocols.yaml: protocol {key} repeats settings {repeated}.")
        protocols[key] = ProtocolDefaults(
            key=key,
            route=Route(str(item["route"])),
            drug=str(item["drug"]),
            dose_rule=DoseRule(str(item["dose_rule"])),
            source=str(item["source"]),
            version=version,
            settings=settings,
            frequency=tuple(_frequency_from_yaml(rule) for rule in item.get("frequency") or ()),
        )
    return version, limits, protocols


PROTOCOL_LIBRARY_VERSION, DOSE_LIMIT_SETTINGS, _PROTOCOLS = protocol_library_load(
    resources.files("ketaclinic.core").joinpath("rules/protocols.yaml").read_text("utf-8")
)
PROTOCOL_DEFAULTS: Final[Mapping[str, ProtocolDefaults]] = MappingProxyType(_PROTOCOLS)


def _limit(name: str) -> Decimal:
    for setting in DOSE_LIMIT_SETTINGS:
        if setting.name == name and isinstance(setting.value, Decimal):
            return setting.value
    raise KeyError(f"rules/protocols.yaml has no numeric dose limit {name!r}.")


# Named bounds; their reasons and sources are in rules/protocols.yaml (dose_limits).
MIN_WEIGHT_KG: Final = _limit("min_weight_kg")
MAX_WEIGHT_KG: Final = _limit("max_weight_kg")
MIN_MG_PER_KG: Final = _limit("min_mg_per_kg")
MAX_MG_PER_KG: Final = _limit("max_mg_per_kg")
# No plan, sign-off or clinic setting takes a session dose past this, on any route.
MAX_DOSE_MG: Final = _limit("max_dose_mg")
DEFAULT_DOSE_LIMITS: Final = DoseLimits(
    min_weight_kg=MIN_WEIGHT_KG,
    max_weight_kg=MAX_WEIGHT_KG,
    min_mg_per_kg=MIN_MG_PER_KG,
    max_mg_per_kg=MAX_MG_PER_KG,
)

_ESKETAMINE_US: Final = PROTOCOL_DEFAULTS["esketamine_trd_us"]
ESKETAMINE_DEVICE_MG: Final = _ESKETAMINE_US.decimal("device_mg")
ESKETAMINE_REST_MINUTES_BETWEEN_DEVICES: Final = _ESKETAMINE_US.decimal("rest_minutes_between_devices")
ESKETAMINE_US_DOSE_OPTIONS_MG: Final = _ESKETAMINE_US.decimals("dose_options_mg")


@dataclass(frozen=True, slots=True)
class _CappedDose:
    mg_per_kg: Decimal
    weight_kg: Decimal
    max_mg: Decimal
    concentration_mg_per_ml: Decimal
    calculated_mg: Decimal
    dose_mg: Decimal
    volume_ml: Decimal
    capped: bool
    steps: tuple[str, ...]


def _bounded_cap(cap: Decimal, limits: DoseLimits) -> tuple[Decimal, tuple[str, ...]]:
    """The plan's cap, lowered to the ceiling in force and to the hard bound, with why."""
    ceiling = min(limits.max_dose_mg or MAX_DOSE_MG, MAX_DOSE_MG)
    if cap <= ceiling:
        return cap, ()
    return ceiling, (f"The {_show(cap)} mg cap is above the {_show(ceiling)} mg ceiling: cap = {_show(ceiling)} mg",)


def _capped_dose_and_volume(
    mg_per_kg: DecimalInput,
    weight_kg: DecimalInput,
    max_mg: DecimalInput,
    concentration_mg_per_ml: DecimalInput,
    limits: DoseLimits,
) -> _CappedDose:
    dose_per_kg = _positive(mg_per_kg, field="mg_per_kg", label="Dose")
    weight = _positive(weight_kg, field="weight_kg", label="Weight")
    cap, ceiling_step = _bounded_cap(_positive(max_mg, field="max_mg", label="Dose cap"), limits)
    concentration = _positive(concentration_mg_per_ml, field="concentration_mg_per_ml", label="Concentration")
    _within(
        weight,
        limits.min_weight_kg,
        limits.max_weight_kg,
        field="weight_kg",
        label="Weight",
        unit="kg",
    )
    _within(
        dose_per_kg,
        limits.min_mg_per_kg,
        limits.max_mg_per_kg,
        field="mg_per_kg",
        label="Dose",
        unit="mg/kg",
    )

    calculated = dose_per_kg * weight
    steps = [f"{_show(dose_per_kg)} mg/kg x {_show(weight)} kg = {_show(calculated)} mg", *ceiling_step]
    capped = calculated > cap
    if capped:
        steps.append(f"{_show(calculated)} mg is above the {_show(cap)} mg cap: dose = {_show(cap)} mg")
    else:
        steps.append(f"{_show(calculated)} mg is within the {_show(cap)} mg cap")
    chosen = min(calculated, cap)
    dose = _round_not_past(chosen, DOSE_STEP_MG, limit=cap)
    if dose <= 0:
        raise DoseInputError(
            f"Dose cap {_show(cap)} mg rounds to no dose at {DOSE_STEP_MG} mg steps.",
            code="dose_rounds_to_zero",
            field="max_mg",
        )
    if dose != chosen:
        note = _rounding_note(chosen, dose, DOSE_STEP_MG, "mg")
        steps.append(f"{_show(chosen)} mg = {_show(dose)} mg{note}")

    exact_volume = dose / concentration
    # The drug in the drawn-up volume must not pass the cap either.
    volume = _round_not_past(exact_volume, VOLUME_STEP_ML, limit=cap / concentration)
    if volume <= 0:
        raise DoseInputError(
            f"{_show(dose)} mg at {_show(concentration)} mg/mL is less than "
            f"{VOLUME_STEP_ML} mL; check the concentration.",
            code="volume_rounds_to_zero",
            field="concentration_mg_per_ml",
        )
    volume_step = f"{_show(dose)} mg / {_show(concentration)} mg/mL = {_show(volume)} mL"
    volume_step += _rounding_note(exact_volume, volume, VOLUME_STEP_ML, "mL")
    steps.append(volume_step)
    return _CappedDose(
        mg_per_kg=dose_per_kg,
        weight_kg=weight,
        max_mg=cap,
        concentration_mg_per_ml=concentration,
        calculated_mg=calculated,
        dose_mg=dose,
        volume_ml=volume,
        capped=capped,
        steps=tuple(steps),
    )


def weight_based_dose(
    mg_per_kg: DecimalInput,
    weight_kg: DecimalInput,
    max_mg: DecimalInput,
    concentration_mg_per_ml: DecimalInput,
    minutes: DecimalInput,
    *,
    limits: DoseLimits = DEFAULT_DOSE_LIMITS,
) -> WeightBasedDose:
    """Work out an infusion: mg/kg x kg, capped, then volume and pump rate (protocols.md 1)."""
    infusion_minutes = _positive(minutes, field="minutes", label="Infusion time")
    capped_dose = _capped_dose_and_volume(mg_per_kg, weight_kg, max_mg, concentration_mg_per_ml, limits)
    exact_rate = capped_dose.volume_ml * MINUTES_PER_HOUR / infusion_minutes
    rate = exact_rate.quantize(RATE_STEP_ML_PER_HOUR, rounding=ROUND_HALF_UP)
    volume = capped_dose.volume_ml
    rate_step = f"{_show(volume)} mL over {_show(infusion_minutes)} min = {_show(rate)} mL/h"
    rate_step += _rounding_note(exact_rate, rate, RATE_STEP_ML_PER_HOUR, "mL/h")
    return WeightBasedDose(
        mg_per_kg=capped_dose.mg_per_kg,
        weight_kg=capped_dose.weight_kg,
        max_mg=capped_dose.max_mg,
        concentration_mg_per_ml=capped_dose.concentration_mg_per_ml,
        minutes=infusion_minutes,
        calculated_mg=capped_dose.calculated_mg,
        dose_mg=capped_dose.dose_mg,
        volume_ml=capped_dose.volume_ml,
        rate_ml_per_hour=rate,
        capped=capped_dose.capped,
        steps=(*capped_dose.steps, rate_step),
    )


def intramuscular_dose(
    mg_per_kg: DecimalInput,
    weight_kg: DecimalInput,
    max_mg: DecimalInput,
    concentration_mg_per_ml: DecimalInput,
    *,
    limits: DoseLimits = DEFAULT_DOSE_LIMITS,
) -> InjectionDose:
    """Work out a single IM injection: mg/kg x kg, capped, then volume (protocols.md 2)."""
    capped_dose = _capped_dose_and_volume(mg_per_kg, weight_kg, max_mg, concentration_mg_per_ml, limits)
    return InjectionDose(
        mg_per_kg=capped_dose.mg_per_kg,
        weight_kg=capped_dose.weight_kg,
        max_mg=capped_dose.max_mg,
        concentration_mg_per_ml=capped_dose.concentration_mg_per_ml,
        calculated_mg=capped_dose.calculated_mg,
        dose_mg=capped_dose.dose_mg,
        volume_ml=capped_dose.volume_ml,
        capped=capped_dose.capped,
        steps=capped_dose.steps,
    )


def fixed_dose(dose_mg: DecimalInput, max_mg: DecimalInput, *, limits: DoseLimits = DEFAULT_DOSE_LIMITS) -> FixedDose:
    """Check a prescribed fixed dose against its protocol cap (protocols.md 3).

    A fixed dose is chosen by the prescriber, so one above the cap is refused rather than
    silently lowered.
    """
    dose = _positive(dose_mg, field="dose_mg", label="Dose")
    cap, _ceiling_step = _bounded_cap(_positive(max_mg, field="max_mg", label="Dose cap"), limits)
    if dose > cap:
        raise DoseInputError(
            f"Dose {_show(dose)} mg is above the {_show(cap)} mg cap of the protocol.",
            code="dose_above_cap",
            field="dose_mg",
        )
    return FixedDose(
        dose_mg=dose,
        max_mg=cap,
        steps=(f"{_show(dose)} mg is within the {_show(cap)} mg cap",),
    )


def esketamine_dose(
    dose_mg: DecimalInput,
    *,
    dose_options_mg: Sequence[Decimal] = ESKETAMINE_US_DOSE_OPTIONS_MG,
    device_mg: Decimal = ESKETAMINE_DEVICE_MG,
    rest_minutes_between_devices: Decimal = ESKETAMINE_REST_MINUTES_BETWEEN_DEVICES,
    first_dose_mg: Decimal | None = None,
    first_dose_source: str = "",
) -> EsketamineDose:
    """Turn an esketamine dose into nasal spray devices and rests (protocols.md 4).

    The defaults are the US label (56 or 84 mg); pass a protocol variant's options, e.g.
    ``PROTOCOL_DEFAULTS["esketamine_trd_eu_older_adult"].decimals("dose_options_mg")``.
    Pass ``first_dose_mg`` for the patient's first esketamine session: only that dose is given.
    """
    dose = _positive(dose_mg, field="dose_mg", label="Dose")
    if first_dose_mg is not None:
        first_dose_check(dose, first_dose_mg=first_dose_mg, source=first_dose_source)
    if dose > MAX_DOSE_MG:
        raise DoseInputError(
            f"Esketamine dose {_show(dose)} mg is above the {_show(MAX_DOSE_MG)} mg hard bound.",
            code="dose_above_cap",
            field="dose_mg",
        )
    if dose not in dose_options_mg:
        options = ", ".join(f"{_show(option)} mg" for option in dose_options_mg)
        raise DoseInputError(
            f"Esketamine dose {_show(dose)} mg is not one of this protocol's doses ({options}).",
            code="esketamine_dose_not_in_protocol",
            field="dose_mg",
        )
    devices, remainder = divmod(dose, device_mg)
    if remainder:
        raise DoseInputError(
            f"Esketamine dose {_show(dose)} mg is not a whole number of {_show(device_mg)} mg devices.",
            code="esketamine_dose_not_whole_devices",
            field="dose_mg",
        )
    device_count = int(devices)
    rests = device_count - 1
    minimum_minutes = rest_minutes_between_devices * rests
    if device_count == 1:
        rest_step = "1 device: no rest needed"
    else:
        rest_step = (
            f"{rests} {'rest' if rests == 1 else 'rests'} x "
            f"{_show(rest_minutes_between_devices)} min = {_show(minimum_minutes)} min "
            "at least from first to last device"
        )
    return EsketamineDose(
        dose_mg=dose,
        max_mg=max(dose_options_mg),
        device_mg=device_mg,
        device_count=device_count,
        rest_minutes_between_devices=rest_minutes_between_devices,
        minimum_administration_minutes=minimum_minutes,
        steps=(
            f"{_show(dose)} mg / {_show(device_mg)} mg per device = {device_count} "
            + ("device" if device_count == 1 else "devices"),
            rest_step,
        ),
    )


def first_dose_check(dose_mg: DecimalInput, *, first_dose_mg: Decimal, source: str) -> None:
    """Refuse a first-session dose other than the protocol's day-1 dose (protocols.md 4)."""
    dose = _positive(dose_mg, field="dose_mg", label="Dose")
    if dose != first_dose_mg:
        raise DoseInputError(
            f"The first esketamine session is {_show(first_dose_mg)} mg under this protocol, "
            f"not {_show(dose)} mg ({source}).",
            code="esketamine_first_dose",
            field="fixed_dose_mg",
        )


class CeilingVerdict(StrEnum):
    WITHIN = "within"
    NEEDS_SIGN_OFF = "needs_sign_off"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class CeilingCheck:
    """Whether a plan's cap fits the protocol's mg ceiling, and if not, why and what it needs."""

    verdict: CeilingVerdict
    cap_mg: Decimal
    ceiling_mg: Decimal
    ceiling_basis: SettingBasis
    ceiling_source: str
    reason: str


def ceiling_mg(protocol: ProtocolDefaults) -> ProtocolSetting:
    """The protocol's absolute mg ceiling per session, with its basis and source."""
    setting = protocol.setting("ceiling_mg")
    if not isinstance(setting.value, Decimal):
        raise DoseInputError(
            f"Protocol {protocol.key} has no mg ceiling; the clinic must set one before use.",
            code="protocol_setting_missing",
            field="ceiling_mg",
        )
    return setting


def cap_ceiling_check(protocol: ProtocolDefaults, cap_mg: DecimalInput) -> CeilingCheck:
    """Check a plan's cap against the protocol ceiling and the hard bound.

    A cap at or under the ceiling is the plan's to choose. Above a ceiling the clinic set
    (project default or unconfirmed) it needs a medical director's signed sign-off. Above a
    label ceiling, or above the hard bound (dose_limits.max_dose_mg), nothing allows it.
    """
    cap = _positive(cap_mg, field="cap_mg", label="Dose cap")
    setting = ceiling_mg(protocol)
    ceiling = setting.value
    assert isinstance(ceiling, Decimal)

    def verdict(kind: CeilingVerdict, reason: str) -> CeilingCheck:
        return CeilingCheck(kind, cap, ceiling, setting.basis, setting.source, reason)

    if cap <= ceiling:
        return verdict(CeilingVerdict.WITHIN, f"{_show(cap)} mg is within the {_show(ceiling)} mg ceiling")
    if cap > MAX_DOSE_MG:
        return verdict(
            CeilingVerdict.REFUSED,
            f"{_show(cap)} mg is above the {_show(MAX_DOSE_MG)} mg hard bound of every protocol, "
            "which no sign-off raises",
        )
    if setting.basis is SettingBasis.LABEL:
        return verdict(
            CeilingVerdict.REFUSED,
            f"{_show(cap)} mg is above the {_show(ceiling)} mg ceiling of the label ({setting.source})",
        )
    return verdict(
        CeilingVerdict.NEEDS_SIGN_OFF,
        f"{_show(cap)} mg is above the protocol's {_show(ceiling)} mg ceiling ({setting.source}); "
        "a medical director must sign off with a reason",
    )


def protocol_dose_limits(protocol: ProtocolDefaults, *, approved_ceiling_mg: DecimalInput | None = None) -> DoseLimits:
    """The bounds a dose on this protocol is computed within: its weight range and mg ceiling.

    ``approved_ceiling_mg`` is a plan cap a medical director signed off above the protocol's
    ceiling; the hard bound still applies to it.
    """

    def own(name: str, default: Decimal) -> Decimal:
        try:
            value = protocol.setting(name).value
        except KeyError:
            return default
        return value if isinstance(value, Decimal) else default

    ceiling = ceiling_mg(protocol).value
    assert isinstance(ceiling, Decimal)
    if approved_ceiling_mg is not None:
        ceiling = max(ceiling, _positive(approved_ceiling_mg, field="cap_mg", label="Dose cap"))
    return DoseLimits(
        min_weight_kg=max(own("min_weight_kg", MIN_WEIGHT_KG), MIN_WEIGHT_KG),
        max_weight_kg=min(own("max_weight_kg", MAX_WEIGHT_KG), MAX_WEIGHT_KG),
        min_mg_per_kg=max(own("min_mg_per_kg", MIN_MG_PER_KG), MIN_MG_PER_KG),
        max_mg_per_kg=min(own("max_mg_per_kg", MAX_MG_PER_KG), MAX_MG_PER_KG),
        max_dose_mg=min(ceiling, MAX_DOSE_MG),
    )
