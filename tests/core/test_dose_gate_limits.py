"""Protocol mg ceilings, weight ranges, the hard bound, esketamine's day-1 dose and frequency."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.core import dosing
from ketaclinic.core.dosing import (
    MAX_DOSE_MG,
    PROTOCOL_DEFAULTS,
    CeilingVerdict,
    DoseInputError,
    SettingBasis,
    cap_ceiling_check,
    esketamine_dose,
    first_dose_check,
    fixed_dose,
    intramuscular_dose,
    protocol_dose_limits,
    weight_based_dose,
)
from ketaclinic.core.scheduling import course_week, frequency_conflict

MONDAY = dt.date(2026, 3, 2)


@pytest.mark.parametrize("key", list(PROTOCOL_DEFAULTS))
def test_every_protocol_carries_a_ceiling_and_a_weight_range_with_sources(key):
    protocol = PROTOCOL_DEFAULTS[key]
    for name in ("ceiling_mg", "min_weight_kg", "max_weight_kg"):
        setting = protocol.setting(name)
        assert isinstance(setting.value, D) and setting.source
    assert protocol.decimal("ceiling_mg") <= MAX_DOSE_MG
    assert protocol.decimal("min_weight_kg") < protocol.decimal("max_weight_kg")


def test_the_esketamine_ceiling_is_the_labels_84_mg_and_iv_the_demo_100_mg():
    for key in ("esketamine_trd_us", "esketamine_mdsi_us", "esketamine_trd_eu_older_adult"):
        ceiling = PROTOCOL_DEFAULTS[key].setting("ceiling_mg")
        assert (ceiling.value, ceiling.basis) == (D("84"), SettingBasis.LABEL)
    iv = PROTOCOL_DEFAULTS["iv_racemic_ketamine"].setting("ceiling_mg")
    assert (iv.value, iv.basis) == (D("100"), SettingBasis.PROJECT_DEFAULT)
    # Where no source gives a ceiling the data says so, for the clinic to confirm.
    for key in ("im_racemic_ketamine", "oral_sublingual_ketamine"):
        assert PROTOCOL_DEFAULTS[key].setting("ceiling_mg").needs_clinic_confirmation


def test_an_im_dose_of_1_mg_per_kg_for_350_kg_is_not_350_mg():
    """The reproduced slip: IM 1.0 mg/kg x 350 kg with a typed cap of 350 mg."""
    limits = protocol_dose_limits(PROTOCOL_DEFAULTS["im_racemic_ketamine"])
    with pytest.raises(DoseInputError) as raised:
        intramuscular_dose("1.0", "350", "350", "50", limits=limits)
    assert raised.value.code == "outside_human_bounds"
    bounded = intramuscular_dose("1.0", "250", "350", "50", limits=limits)
    assert (bounded.dose_mg, bounded.capped) == (D("100"), True)
    assert bounded.steps[1] == "The 350 mg cap is above the 100 mg ceiling: cap = 100 mg"


def test_a_cap_above_the_hard_bound_is_lowered_even_without_protocol_limits():
    result = weight_based_dose("1.0", "350", "5000", "10", "40")
    assert result.dose_mg == MAX_DOSE_MG
    with pytest.raises(DoseInputError) as raised:
        fixed_dose("400", "5000")
    assert raised.value.code == "dose_above_cap"


@given(
    st.sampled_from(["iv_racemic_ketamine", "im_racemic_ketamine"]),
    st.decimals(min_value="0.25", max_value="1.0", places=2),
    st.decimals(min_value="40", max_value="250", places=1),
    st.decimals(min_value="1", max_value="100000", places=1),
    st.decimals(min_value="1", max_value="2000", places=0),
)
def test_a_weight_based_dose_never_passes_the_protocol_ceiling(key, mg_per_kg, weight, cap, approved):
    """Whatever cap is typed or signed off, the dose stays within the ceiling and the hard bound."""
    protocol = PROTOCOL_DEFAULTS[key]
    limits = protocol_dose_limits(protocol)
    result = intramuscular_dose(mg_per_kg, weight, cap, "50", limits=limits)
    assert result.dose_mg <= protocol.decimal("ceiling_mg")
    signed_off = protocol_dose_limits(protocol, approved_ceiling_mg=approved)
    assert intramuscular_dose(mg_per_kg, weight, cap, "50", limits=signed_off).dose_mg <= MAX_DOSE_MG


@pytest.mark.parametrize(
    ("key", "cap", "verdict"),
    [
        ("iv_racemic_ketamine", "80", CeilingVerdict.WITHIN),
        ("iv_racemic_ketamine", "100", CeilingVerdict.WITHIN),
        ("iv_racemic_ketamine", "120", CeilingVerdict.NEEDS_SIGN_OFF),
        ("im_racemic_ketamine", "350", CeilingVerdict.NEEDS_SIGN_OFF),
        ("im_racemic_ketamine", "351", CeilingVerdict.REFUSED),
        ("esketamine_trd_us", "112", CeilingVerdict.REFUSED),
    ],
)
def test_a_cap_above_the_ceiling_needs_a_sign_off_or_is_refused(key, cap, verdict):
    check = cap_ceiling_check(PROTOCOL_DEFAULTS[key], cap)
    assert check.verdict is verdict
    assert check.reason


def test_the_first_esketamine_session_is_the_protocols_day_1_dose():
    trd = PROTOCOL_DEFAULTS["esketamine_trd_us"]
    first, source = trd.decimal("first_dose_mg"), trd.setting("first_dose_mg").source
    with pytest.raises(DoseInputError) as raised:
        first_dose_check(D("84"), first_dose_mg=first, source=source)
    assert raised.value.code == "esketamine_first_dose"
    assert "56 mg" in str(raised.value) and "Spravato US label" in str(raised.value)
    with pytest.raises(DoseInputError):
        esketamine_dose("84", first_dose_mg=first, first_dose_source=source)
    assert esketamine_dose("56", first_dose_mg=first).device_count == 2
    assert esketamine_dose("84").device_count == 3  # later sessions: 56 or 84 mg


def test_course_weeks_count_from_the_first_session():
    assert course_week(first_on=MONDAY, on=MONDAY) == 1
    assert course_week(first_on=MONDAY, on=MONDAY + dt.timedelta(days=6)) == 1
    assert course_week(first_on=MONDAY, on=MONDAY + dt.timedelta(days=35)) == 6


def test_esketamine_trd_frequency_twice_a_week_then_once():
    rules = PROTOCOL_DEFAULTS["esketamine_trd_us"].frequency
    week_1 = [MONDAY, MONDAY + dt.timedelta(days=3)]
    assert frequency_conflict(on=MONDAY + dt.timedelta(days=5), course_days=week_1, rules=rules) == (
        "week 1 of the course allows 2 sessions a week; 3 are booked "
        "(Spravato US label, TRD induction: weeks 1-4 twice a week)"
    )
    week_6 = MONDAY + dt.timedelta(days=35)
    assert frequency_conflict(on=week_6 + dt.timedelta(days=2), course_days=[MONDAY], rules=rules) is None
    reason = frequency_conflict(on=week_6 + dt.timedelta(days=2), course_days=[MONDAY, week_6], rules=rules)
    assert reason is not None and reason.startswith("week 6 of the course allows 1 session a week; 2 are booked")
    assert frequency_conflict(on=MONDAY + dt.timedelta(days=70), course_days=[MONDAY], rules=rules) is None


def test_esketamine_mdsi_course_is_four_weeks():
    rules = PROTOCOL_DEFAULTS["esketamine_mdsi_us"].frequency
    assert frequency_conflict(on=MONDAY + dt.timedelta(days=27), course_days=[MONDAY], rules=rules) is None
    reason = frequency_conflict(on=MONDAY + dt.timedelta(days=28), course_days=[MONDAY], rules=rules)
    assert reason is not None and reason.startswith("week 5 of the course allows no session")


def test_protocols_without_a_frequency_rule_are_not_limited_by_it():
    assert frequency_conflict(on=MONDAY, course_days=[MONDAY] * 5, rules=()) is None


def test_a_protocol_library_that_repeats_a_setting_is_refused():
    """A repeated setting would silently lose to the first one; the library must not load."""
    text = (Path(dosing.__file__).parent / "rules" / "protocols.yaml").read_text("utf-8")
    first_setting = "    settings:\n"
    repeated = first_setting + (
        '      - name: cap_mg\n        value: "900"\n        unit: mg\n        basis: project_default\n'
        '        source: "a second copy pasted by mistake"\n'
    )
    with pytest.raises(ValueError, match="repeats settings"):
        dosing.protocol_library_load(text.replace(first_setting, repeated, 1))


def test_the_shipped_protocol_library_names_each_setting_once():
    for protocol in dosing.PROTOCOL_DEFAULTS.values():
        names = [setting.name for setting in protocol.settings]
        assert len(names) == len(set(names)), protocol.key
