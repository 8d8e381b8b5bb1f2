from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.core.dosing import (
    DEFAULT_DOSE_LIMITS,
    DOSE_LIMIT_SETTINGS,
    DOSING_RULE_VERSION,
    ESKETAMINE_DEVICE_MG,
    MAX_MG_PER_KG,
    MAX_WEIGHT_KG,
    MIN_MG_PER_KG,
    MIN_WEIGHT_KG,
    PROTOCOL_DEFAULTS,
    DoseInputError,
    DoseLimits,
    DoseRule,
    Route,
    SettingBasis,
    WeightBasis,
    esketamine_dose,
    fixed_dose,
    intramuscular_dose,
    weight_based_dose,
)
from ketaclinic.core.errors import RuleViolation

D = Decimal


# --- worked examples ---------------------------------------------------------------------------


def test_weight_based_dose_worked_example_shows_every_step():
    """0.5 mg/kg for 70 kg at 10 mg/mL over 40 min is 35 mg, 3.5 mL, 5.25 mL/h."""
    result = weight_based_dose(D("0.5"), D("70"), D("100"), D("10"), D("40"))
    assert result.dose_mg == D("35")
    assert result.volume_ml == D("3.5")
    assert result.rate_ml_per_hour == D("5.25")
    assert result.capped is False
    assert result.steps == (
        "0.5 mg/kg x 70 kg = 35 mg",
        "35 mg is within the 100 mg cap",
        "35 mg / 10 mg/mL = 3.5 mL",
        "3.5 mL over 40 min = 5.25 mL/h",
    )
    assert result.rule_version == DOSING_RULE_VERSION


def test_weight_based_dose_applies_cap_and_says_so():
    """A dose above the cap is limited to the cap and the step names the cap."""
    result = weight_based_dose(D("0.5"), D("250"), D("100"), D("10"), D("40"))
    assert result.calculated_mg == D("125")
    assert result.dose_mg == D("100")
    assert result.capped is True
    assert result.volume_ml == D("10")
    assert result.rate_ml_per_hour == D("15")
    assert result.steps[1] == "125 mg is above the 100 mg cap: dose = 100 mg"


def test_weight_based_dose_exactly_at_cap_is_not_capped():
    """A calculated dose equal to the cap is given in full and not marked capped."""
    result = weight_based_dose(D("0.5"), D("200"), D("100"), D("10"), D("40"))
    assert result.dose_mg == D("100")
    assert result.capped is False


def test_weight_based_dose_just_above_cap_is_capped():
    """A calculated dose 0.1 mg above the cap is capped."""
    result = weight_based_dose(D("0.5"), D("200.2"), D("100"), D("10"), D("40"))
    assert result.calculated_mg == D("100.1")
    assert result.dose_mg == D("100")
    assert result.capped is True


def test_weight_based_dose_rounds_half_up_to_a_tenth_of_a_mg():
    """35.15 mg rounds half up to 35.2 mg, and the rounding is shown."""
    result = weight_based_dose(D("0.5"), D("70.3"), D("100"), D("10"), D("40"))
    assert result.calculated_mg == D("35.15")
    assert result.dose_mg == D("35.2")
    assert "35.15 mg = 35.2 mg (rounded to 0.1 mg)" in result.steps


def test_weight_based_dose_never_rounds_up_past_a_cap_off_the_grid():
    """A cap of 35.06 mg gives 35.0 mg, not 35.1 mg."""
    result = weight_based_dose(D("0.5"), D("80"), D("35.06"), D("10"), D("40"))
    assert result.dose_mg == D("35.0")
    assert result.capped is True
    assert any("rounded down" in step for step in result.steps)


def test_weight_based_dose_volume_never_carries_more_drug_than_the_cap():
    """35 mg at 3 mg/mL draws 11.66 mL (34.98 mg), not 11.67 mL (35.01 mg)."""
    result = weight_based_dose(D("0.5"), D("80"), D("35"), D("3"), D("40"))
    assert result.volume_ml == D("11.66")
    assert result.volume_ml * D("3") <= D("35")
    assert "(rounded down to 0.01 mL to stay within the cap)" in result.steps[2]


def test_weight_based_dose_accepts_int_and_numeric_strings():
    """Ints and numeric strings give the same result as Decimals."""
    from_strings = weight_based_dose("0.5", "70", "100", "10", "40")
    from_ints = weight_based_dose(D("0.5"), 70, 100, 10, 40)
    assert from_strings == from_ints
    assert from_strings.dose_mg == D("35")


def test_weight_based_dose_refuses_float():
    """A float is refused with TypeError because it cannot hold 0.1 exactly."""
    with pytest.raises(TypeError, match="float"):
        weight_based_dose(0.5, 70, 100, 10, 40)  # type: ignore[arg-type]


def test_weight_based_dose_refuses_bool():
    """True is not a weight of 1 kg."""
    with pytest.raises(TypeError):
        weight_based_dose("0.5", True, 100, 10, 40)


@pytest.mark.parametrize(
    ("arguments", "field", "message"),
    [
        (("0.5", "0", "100", "10", "40"), "weight_kg", "Weight must be greater than zero"),
        (("0.5", "-70", "100", "10", "40"), "weight_kg", "Weight must be greater than zero"),
        (("0.5", "7", "100", "10", "40"), "weight_kg", "Weight 7 kg is outside 30-350 kg"),
        (("0.5", "700", "100", "10", "40"), "weight_kg", "Weight 700 kg is outside 30-350 kg"),
        (("0.5", "70000", "100", "10", "40"), "weight_kg", "Weight 70000 kg is outside"),
        (("5", "70", "100", "10", "40"), "mg_per_kg", "Dose 5 mg/kg is outside 0.1-1 mg/kg"),
        (("0.05", "70", "100", "10", "40"), "mg_per_kg", "Dose 0.05 mg/kg is outside"),
        (("0", "70", "100", "10", "40"), "mg_per_kg", "Dose must be greater than zero"),
        (("0.5", "70", "0", "10", "40"), "max_mg", "Dose cap must be greater than zero"),
        (("0.5", "70", "100", "0", "40"), "concentration_mg_per_ml", "Concentration must be"),
        (("0.5", "70", "100", "-10", "40"), "concentration_mg_per_ml", "Concentration must be"),
        (("0.5", "70", "100", "10", "0"), "minutes", "Infusion time must be greater than zero"),
        (("0.5", "70", "100", "10", "-40"), "minutes", "Infusion time must be greater"),
        (("0.5", "seventy", "100", "10", "40"), "weight_kg", "is not a number"),
        (("0.5", "NaN", "100", "10", "40"), "weight_kg", "is not a finite number"),
        (("0.5", "Infinity", "100", "10", "40"), "weight_kg", "is not a finite number"),
        (("0.5", "70", "0.04", "10", "40"), "max_mg", "rounds to no dose"),
        (("0.5", "70", "100", "100000", "40"), "concentration_mg_per_ml", "check the concentration"),
    ],
)
def test_weight_based_dose_rejects_impossible_input_with_message(arguments, field, message):
    """Impossible or implausible input raises a ValueError naming the value and field."""
    with pytest.raises(ValueError, match=re.escape(message)) as raised:
        weight_based_dose(*arguments)
    assert isinstance(raised.value, RuleViolation)
    assert raised.value.field == field
    assert raised.value.code


def test_weight_based_dose_accepts_the_bounds_themselves():
    """The plausibility bounds are inclusive."""
    low = weight_based_dose(MIN_MG_PER_KG, MIN_WEIGHT_KG, "1000", "10", "40")
    high = weight_based_dose(MAX_MG_PER_KG, MAX_WEIGHT_KG, "1000", "10", "40")
    assert low.dose_mg == D("3")
    assert high.dose_mg == D("350")


def test_weight_based_dose_limits_are_configurable():
    """A clinic may widen the mg/kg bound for a signed titration plan."""
    limits = DoseLimits(min_weight_kg=D("30"), max_weight_kg=D("350"), min_mg_per_kg=D("0.1"), max_mg_per_kg=D("1.5"))
    result = weight_based_dose("1.2", "70", "100", "10", "40", limits=limits)
    assert result.dose_mg == D("84")
    with pytest.raises(ValueError, match=r"outside 0\.1-1 mg/kg"):
        weight_based_dose("1.2", "70", "100", "10", "40")


def test_dose_input_error_is_both_value_error_and_rule_violation():
    """Callers may catch either ValueError or the domain RuleViolation."""
    assert issubclass(DoseInputError, ValueError)
    assert issubclass(DoseInputError, RuleViolation)


# --- properties ---------------------------------------------------------------------------------

mg_per_kg_values = st.decimals(min_value="0.1", max_value="1.0", places=3)
weight_values = st.decimals(min_value="30", max_value="350", places=1)
cap_values = st.decimals(min_value="1", max_value="400", places=2)
concentration_values = st.decimals(min_value="0.5", max_value="100", places=1)
minute_values = st.decimals(min_value="1", max_value="240", places=0)


@given(mg_per_kg_values, weight_values, cap_values, concentration_values, minute_values)
def test_weight_based_dose_never_exceeds_cap(mg_per_kg, weight, cap, concentration, minutes):
    """Neither the dose nor the drug in the drawn-up volume passes the cap."""
    result = weight_based_dose(mg_per_kg, weight, cap, concentration, minutes)
    assert result.dose_mg <= cap
    assert result.volume_ml * concentration <= cap


@given(mg_per_kg_values, weight_values, cap_values, concentration_values, minute_values)
def test_weight_based_dose_is_min_of_calculation_and_cap(mg_per_kg, weight, cap, concentration, minutes):
    """dose = min(mg/kg x kg, cap) within one 0.1 mg rounding step; capped says which."""
    result = weight_based_dose(mg_per_kg, weight, cap, concentration, minutes)
    expected = min(mg_per_kg * weight, cap)
    assert abs(result.dose_mg - expected) <= D("0.1")
    assert result.capped == (mg_per_kg * weight > cap)


@given(mg_per_kg_values, weight_values, st.integers(1, 400), concentration_values, minute_values)
def test_weight_based_dose_half_up_rounding_with_a_whole_mg_cap(mg_per_kg, weight, cap, concentration, minutes):
    """With a cap on the 0.1 mg grid the dose is within half a step of min(calc, cap)."""
    result = weight_based_dose(mg_per_kg, weight, cap, concentration, minutes)
    assert abs(result.dose_mg - min(mg_per_kg * weight, D(cap))) <= D("0.05")


@given(mg_per_kg_values, weight_values, cap_values, concentration_values, minute_values)
def test_weight_based_dose_volume_times_concentration_is_dose(mg_per_kg, weight, cap, concentration, minutes):
    """volume x concentration = dose within one 0.01 mL step of drug."""
    result = weight_based_dose(mg_per_kg, weight, cap, concentration, minutes)
    assert abs(result.volume_ml * concentration - result.dose_mg) <= D("0.01") * concentration


@given(mg_per_kg_values, weight_values, cap_values, concentration_values, minute_values)
def test_weight_based_dose_rate_times_time_is_volume(mg_per_kg, weight, cap, concentration, minutes):
    """rate x minutes / 60 = volume within half a 0.01 mL/h step over the infusion."""
    result = weight_based_dose(mg_per_kg, weight, cap, concentration, minutes)
    # Compared per hour, so no division rounds the check itself (9.375 -> 9.38 over 8 min).
    assert abs(result.rate_ml_per_hour * minutes - result.volume_ml * 60) <= D("0.005") * minutes


@given(mg_per_kg_values, weight_values, cap_values, concentration_values, minute_values)
def test_weight_based_dose_steps_start_with_the_multiplication(mg_per_kg, weight, cap, concentration, minutes):
    """The first step is always the mg/kg x kg line and the last the pump rate."""
    result = weight_based_dose(mg_per_kg, weight, cap, concentration, minutes)
    assert " mg/kg x " in result.steps[0]
    assert result.steps[-1].split(" = ")[1].startswith(f"{result.rate_ml_per_hour.normalize():f}")


# --- IM, fixed and esketamine doses -------------------------------------------------------------


def test_intramuscular_dose_worked_example():
    """0.5 mg/kg for 80 kg at 50 mg/mL is 40 mg in 0.8 mL, with no pump rate."""
    result = intramuscular_dose("0.5", "80", "100", "50")
    assert (result.dose_mg, result.volume_ml, result.capped) == (D("40"), D("0.8"), False)
    assert result.steps == (
        "0.5 mg/kg x 80 kg = 40 mg",
        "40 mg is within the 100 mg cap",
        "40 mg / 50 mg/mL = 0.8 mL",
    )


def test_intramuscular_dose_applies_cap():
    """An IM dose above its cap is limited to the cap."""
    result = intramuscular_dose("1.0", "90", "75", "50")
    assert result.dose_mg == D("75")
    assert result.capped is True


def test_fixed_dose_within_cap_is_accepted():
    """A prescribed oral dose at the cap is accepted and the check shown."""
    result = fixed_dose("200", "200")
    assert result.dose_mg == D("200")
    assert result.steps == ("200 mg is within the 200 mg cap",)


def test_fixed_dose_above_cap_is_refused():
    """A fixed dose above the cap is refused, not silently lowered."""
    with pytest.raises(ValueError, match="above the 200 mg cap") as raised:
        fixed_dose("250", "200")
    assert raised.value.code == "dose_above_cap"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("dose", "devices", "minutes"),
    [("56", 2, D("5")), ("84", 3, D("10"))],
)
def test_esketamine_dose_counts_28_mg_devices_and_rests(dose, devices, minutes):
    """56 mg is two devices with one 5-minute rest; 84 mg is three with two rests."""
    result = esketamine_dose(dose)
    assert result.device_mg == ESKETAMINE_DEVICE_MG == D("28")
    assert result.device_count == devices
    assert result.minimum_administration_minutes == minutes
    assert result.steps[0] == f"{dose} mg / 28 mg per device = {devices} devices"


@pytest.mark.parametrize("dose", ["28", "70", "112", "0"])
def test_esketamine_dose_refuses_doses_outside_the_us_label(dose):
    """Only 56 and 84 mg are US-label doses."""
    with pytest.raises(ValueError, match=r"not one of this protocol's doses|greater than zero"):
        esketamine_dose(dose)


def test_esketamine_dose_eu_older_adult_variant_allows_28_mg():
    """The EU older-adult variant starts at 28 mg: one device, no rest."""
    variant = PROTOCOL_DEFAULTS["esketamine_trd_eu_older_adult"]
    result = esketamine_dose("28", dose_options_mg=variant.decimals("dose_options_mg"))
    assert result.device_count == 1
    assert result.minimum_administration_minutes == D("0")
    assert result.steps == ("28 mg / 28 mg per device = 1 device", "1 device: no rest needed")


def test_esketamine_dose_refuses_part_devices():
    """A dose option that is not whole devices is refused."""
    with pytest.raises(ValueError, match="whole number"):
        esketamine_dose("42", dose_options_mg=(D("42"),))


# --- protocol library data ----------------------------------------------------------------------


def test_protocol_defaults_every_setting_cites_source_and_basis():
    """Every protocol value and dose limit says where it came from."""
    settings = [s for p in PROTOCOL_DEFAULTS.values() for s in p.settings] + list(DOSE_LIMIT_SETTINGS)
    assert settings
    for setting in settings:
        assert setting.source.strip(), setting.name
        assert isinstance(setting.basis, SettingBasis)
    for protocol in PROTOCOL_DEFAULTS.values():
        assert protocol.source.strip()
        assert isinstance(protocol.route, Route)
        assert isinstance(protocol.dose_rule, DoseRule)


def test_protocol_defaults_mark_unconfirmed_values_for_clinic_confirmation():
    """Unconfirmed and project-default values need the clinic's confirmation; label ones do not."""
    iv = PROTOCOL_DEFAULTS["iv_racemic_ketamine"]
    assert iv.setting("max_mg_per_kg").needs_clinic_confirmation
    assert iv.setting("cap_mg").needs_clinic_confirmation
    assert not iv.setting("mg_per_kg").needs_clinic_confirmation
    esketamine = PROTOCOL_DEFAULTS["esketamine_trd_us"]
    assert not esketamine.setting("dose_options_mg").needs_clinic_confirmation


def test_protocol_defaults_iv_protocol_gives_the_worked_example():
    """The shipped IV defaults (0.5 mg/kg, 40 min, 100 mg cap) reproduce the worked example."""
    iv = PROTOCOL_DEFAULTS["iv_racemic_ketamine"]
    result = weight_based_dose(
        iv.decimal("mg_per_kg"), "70", iv.decimal("cap_mg"), "10", iv.decimal("infusion_minutes")
    )
    assert (result.dose_mg, result.volume_ml, result.rate_ml_per_hour) == (
        D("35"),
        D("3.5"),
        D("5.25"),
    )
    assert iv.weight_basis() is WeightBasis.ACTUAL


def test_protocol_defaults_unset_cap_must_be_set_by_clinic():
    """The IM protocol ships with no cap, so asking for it raises until the clinic sets one."""
    with pytest.raises(ValueError, match="must set it"):
        PROTOCOL_DEFAULTS["im_racemic_ketamine"].decimal("cap_mg")


def test_protocol_defaults_named_bounds_come_from_the_data_file():
    """The named plausibility bounds are the dose_limits in rules/protocols.yaml."""
    by_name = {s.name: s.value for s in DOSE_LIMIT_SETTINGS}
    from_file = DoseLimits(
        min_weight_kg=by_name["min_weight_kg"],  # type: ignore[arg-type]
        max_weight_kg=by_name["max_weight_kg"],  # type: ignore[arg-type]
        min_mg_per_kg=by_name["min_mg_per_kg"],  # type: ignore[arg-type]
        max_mg_per_kg=by_name["max_mg_per_kg"],  # type: ignore[arg-type]
    )
    assert from_file == DEFAULT_DOSE_LIMITS
