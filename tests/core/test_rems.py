from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.core.rems import (
    DEFINITIONS,
    FieldKind,
    RemsValueError,
    clean_value,
    clean_values,
    definition_get,
    definition_in_force,
    due_on,
    load_definitions,
    missing_required,
)

CURRENT = definition_in_force(dt.date(2026, 11, 3))

# A made-up later version of the form: a new field, one field dropped, a shorter deadline.
FUTURE_YAML = """
definitions:
  - version: "test-2024"
    effective_from: 2024-12-31
    deadline_days: 7
    source: "test"
    sections: [{key: patient, label: "Patient"}, {key: events, label: "Events"}]
    fields:
      - {key: patient_first_name, section: patient, label: "First name", kind: text, required: true,
         prefill: patient.first_name}
      - {key: sedation, section: events, label: "Sedation?", kind: yes_no, required: true}
  - version: "test-2027"
    effective_from: 2027-07-01
    deadline_days: 5
    source: "made up for a test"
    sections: [{key: patient, label: "Patient"}, {key: events, label: "Events"}]
    fields:
      - {key: patient_first_name, section: patient, label: "First name", kind: text, required: true,
         prefill: patient.first_name}
      - {key: hallucinations, section: events, label: "Hallucinations?", kind: yes_no, required: true}
      - {key: hallucination_minutes, section: events, label: "For how many minutes?", kind: integer,
         minimum: 1, maximum: 600, required_when: [{field: hallucinations, equals: "yes"}]}
"""


def test_rems_project_definition_holds_every_section_of_the_2024_form():
    assert CURRENT.version == "spravato-rems-2024"
    assert CURRENT.deadline_days == 7
    assert [s.key for s in CURRENT.sections] == [
        "patient",
        "medication",
        "provider",
        "setting",
        "session",
        "duration",
        "evaluation",
        "vitals",
        "blood_pressure",
        "events",
    ]
    assert all(CURRENT.fields_of(section.key) for section in CURRENT.sections)
    kinds = {field.kind for field in CURRENT.fields}
    assert {FieldKind.BLOOD_PRESSURE, FieldKind.YES_NO, FieldKind.DATE, FieldKind.CHOICE} <= kinds
    # What the record cannot say is left to the nurse, never prefilled.
    assert CURRENT.field("ready_to_leave_minute").prefill == ""
    assert CURRENT.field("dose_administered").options == (("56", "56 mg"), ("84", "84 mg"), ("other", "Other"))


def test_rems_definition_change_needs_no_code():
    """A later form version in the data is picked by date, with its own fields and deadline."""
    definitions = load_definitions(FUTURE_YAML)
    before = definition_in_force(dt.date(2027, 6, 30), definitions)
    after = definition_in_force(dt.date(2027, 7, 1), definitions)
    assert (before.version, after.version) == ("test-2024", "test-2027")
    assert due_on(after, dt.date(2027, 7, 1)) == dt.date(2027, 7, 6)
    assert [f.key for f in missing_required(after, {"patient_first_name": "Ana"})] == ["hallucinations"]
    assert [f.key for f in missing_required(after, {"patient_first_name": "Ana", "hallucinations": "yes"})] == [
        "hallucination_minutes"
    ]
    assert missing_required(after, {"patient_first_name": "Ana", "hallucinations": "no"}) == []
    cleaned, errors = clean_values(after, {"hallucination_minutes": "700", "sedation": "no", "hallucinations": "yes"})
    assert cleaned == {"hallucinations": "yes"}
    assert errors == {
        "hallucination_minutes": "For how many minutes?: must be at most 600.",
        "sedation": "sedation is not a field of the form test-2027.",
    }
    assert definition_get("test-2024", definitions).field("sedation").required


def test_rems_definition_before_the_first_is_the_first():
    assert definition_in_force(dt.date(2020, 1, 1)) == DEFINITIONS[0]


def test_rems_due_date_counts_calendar_days_across_a_weekend_and_month_end():
    # Friday 2026-10-30: seven calendar days, not business days.
    assert due_on(CURRENT, dt.date(2026, 10, 30)) == dt.date(2026, 11, 6)


def test_rems_required_fields_depend_on_answers():
    values = {field.key: None for field in CURRENT.fields}
    empty = {field.key for field in missing_required(CURRENT, values)}
    assert "patient_first_name" in empty and "ready_to_leave_minute" in empty
    assert "enrolled_before_first_treatment" not in empty and "dose_other_mg" not in empty
    values |= {"first_treatment": "yes", "dose_administered": "other", "sedation": "yes"}
    empty = {field.key for field in missing_required(CURRENT, values)}
    assert {"enrolled_before_first_treatment", "dose_other_mg", "events_details"} <= empty


@pytest.mark.parametrize(
    ("key", "raw", "stored"),
    [
        ("bp_before_administration", " 128 / 82 ", "128/82"),
        ("first_treatment", True, "yes"),
        ("first_treatment", "no", "no"),
        ("dose_administered", "84", "84"),
        ("total_minutes", "125", 125),
        ("treatment_date", dt.date(2026, 11, 3), "2026-11-03"),
        ("treatment_date", "2026-11-03", "2026-11-03"),
        ("provider_telephone", "(714) 555-0100", "(714) 555-0100"),
        ("provider_email", "nurse@example.org", "nurse@example.org"),
        ("setting_name", "  Buena   Park  ", "Buena Park"),
        ("ready_to_leave_minute", "", None),
        ("lot_number", None, None),
    ],
)
def test_rems_clean_value_stores_json_native_values(key, raw, stored):
    assert clean_value(CURRENT.field(key), raw) == stored


@pytest.mark.parametrize(
    ("key", "raw", "message"),
    [
        ("bp_before_administration", "128", "enter systolic/diastolic in mmHg, e.g. 128/82."),
        ("bp_before_administration", "80/128", "the systolic pressure (first) must be higher than the diastolic."),
        ("bp_before_administration", "400/80", "a systolic pressure of 400 mmHg cannot be right."),
        ("first_treatment", "maybe", "choose one of Yes, No."),
        ("dose_administered", "28", "choose one of 56 mg, 84 mg, Other."),
        ("total_minutes", "two hours", "enter a whole number."),
        ("total_minutes", "-5", "must be at least 0."),
        ("dose_other_mg", "112", "must be at most 84."),
        ("treatment_date", "11/03/2026", "enter a date as YYYY-MM-DD."),
        ("provider_telephone", "555-0100", "enter a telephone number with its area code."),
        ("provider_email", "nurse at clinic", "enter an email address."),
        ("patient_middle_initial", "Jo", "at most 1 characters."),
    ],
)
def test_rems_clean_value_refuses_with_a_clear_message(key, raw, message):
    field = CURRENT.field(key)
    with pytest.raises(RemsValueError) as raised:
        clean_value(field, raw)
    assert raised.value.message == f"{field.label}: {message}"
    assert raised.value.key == key


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("kind: colour", "unknown kind"),
        ("kind: choice", "choice with no choices"),
        ("kind: text, section: nowhere", "unknown section"),
        ("kind: text, required_when: [{field: ghost, equals: 'yes'}]", "unknown field"),
    ],
)
def test_rems_load_refuses_a_broken_definition(yaml_text, message):
    text = f"""
definitions:
  - version: broken
    effective_from: 2030-01-01
    deadline_days: 7
    source: test
    sections: [{{key: patient, label: Patient}}]
    fields:
      - {{key: x, section: patient, label: X, {yaml_text}}}
"""
    with pytest.raises(ValueError, match=message):
        load_definitions(text)


@given(st.integers(40, 300), st.integers(20, 200))
def test_rems_blood_pressure_round_trips_when_plausible(systolic, diastolic):
    field = CURRENT.field("bp_before_completion")
    if diastolic >= systolic:
        with pytest.raises(RemsValueError):
            clean_value(field, f"{systolic}/{diastolic}")
    else:
        assert clean_value(field, f"{systolic} /{diastolic}") == f"{systolic}/{diastolic}"


@given(st.dates(dt.date(2025, 1, 1), dt.date(2035, 12, 31)))
def test_rems_due_date_is_deadline_days_after_treatment(day):
    assert (due_on(definition_in_force(day), day) - day).days == definition_in_force(day).deadline_days
