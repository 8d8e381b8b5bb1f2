"""The data migration reads each stored alert sentence back into data, and keeps what it cannot read."""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from ketaclinic.sessions.models import AlertState, ReadingAlert, VitalSign

migration = importlib.import_module("ketaclinic.sessions.migrations.0008_alerts_as_data")

V = "monitoring-2026.1"
PAUSE = "Pause or slow the infusion, recheck in 5 minutes, notify the prescriber."
# Sentences as the code wrote them before alerts were data, with the reading's own value.
WRITTEN = [
    (
        f"Systolic BP: 186 mmHg is above 180 mmHg. {PAUSE} (rule systolic_high, {V})",
        {"systolic_mmhg": 186},
        {"rule_id": "systolic_high", "kind": "above", "value": 186, "threshold": 180, "compared_with": None},
    ),
    (
        f"Systolic BP: 175 mmHg is more than 40 above the baseline 120. {PAUSE} (rule systolic_rise, {V})",
        {"systolic_mmhg": 175},
        {"rule_id": "systolic_rise", "kind": "rise_over_baseline", "value": 175, "threshold": 40, "compared_with": 120},
    ),
    (
        f"SpO2: 89 % is below 92 %. Stimulate, give oxygen per protocol, notify the prescriber. (rule spo2_low, {V})",
        {"spo2_percent": 89},
        {"rule_id": "spo2_low", "kind": "below", "value": 89, "threshold": 92, "compared_with": None},
    ),
    (
        f"Sedation (MOAA/S): 2 is at or below 2. Stop the infusion; continuous observation. (rule sedation_deep, {V})",
        {"moaas": 2},
        {"rule_id": "sedation_deep", "kind": "at_most", "value": 2, "threshold": 2, "compared_with": None},
    ),
    (
        "Sedation (MOAA/S): 4, down from 5 before the dose: sedation (Spravato label). Observe until back to the "
        f"pre-dose level; tell the prescriber. (rule sedation_drop_from_pre_dose, {V})",
        {"moaas": 4},
        {
            "rule_id": "sedation_drop_from_pre_dose",
            "kind": "drop_below_pre_dose",
            "value": 4,
            "threshold": 0,
            "compared_with": 5,
            "finding": "sedation (Spravato label)",
        },
    ),
    (
        "Dissociation: severe distress is at or above severe distress. Reassure, pause, consider an intervention. "
        f"(rule dissociation_severe, {V})",
        {"dissociation": 3},
        {"rule_id": "dissociation_severe", "kind": "at_least", "value": 3, "threshold": 3, "compared_with": None},
    ),
    (
        "Nausea: vomiting is at or above nausea. Give an antiemetic per standing order (e.g. ondansetron). "
        f"(rule nausea_any, {V})",
        {"nausea": 2},
        {"rule_id": "nausea_any", "kind": "at_least", "value": 2, "threshold": 1, "compared_with": None},
    ),
    # An older rules file, with other words for the response: both kept as they were written.
    (
        "Heart rate: 130 bpm is above 120 bpm. Call the doctor. (rule heart_rate_high, monitoring-2025.9)",
        {"heart_rate_bpm": 130},
        {
            "rule_id": "heart_rate_high",
            "kind": "above",
            "rule_version": "monitoring-2025.9",
            "response": "Call the doctor.",
        },
    ),
]


@pytest.mark.parametrize(("sentence", "values", "expected"), WRITTEN)
def test_a_sentence_the_code_wrote_is_read_back_into_data_that_renders_the_same_words(sentence, values, expected):
    alert = migration.alert_from_sentence(sentence, values)
    assert {key: alert[key] for key in expected} == expected
    assert alert["legacy_text"] == "" and alert["state"] == "open"
    stored = ReadingAlert.from_json(alert)  # fits the schema the reading checks on save
    assert stored.message_as_written == sentence
    assert migration.sentence_from_alert(alert) == sentence


HIGH = f"Systolic BP: 186 mmHg is above 180 mmHg. {PAUSE} (rule systolic_high, {V})"


@pytest.mark.parametrize(
    ("sentence", "values", "measure"),
    [
        # Not the sentence's shape at all.
        ("SpO2 low, see the chart", {"spo2_percent": 89}, ""),
        # A rule no longer in the thresholds file.
        ("Heart rate: 190 bpm is above 180 bpm. Call. (rule heart_rate_very_high, v0)", {"heart_rate_bpm": 190},
         "heart_rate_bpm"),
        # The reading's own value says otherwise.
        (HIGH, {"systolic_mmhg": 150}, "systolic_mmhg"),
        # The reading has no value for the measure.
        (HIGH, {"systolic_mmhg": None}, "systolic_mmhg"),
        # A limit the rule no longer has: the data would not say the same words.
        (HIGH.replace("above 180", "above 170"), {"systolic_mmhg": 186}, "systolic_mmhg"),
        # The label of another measure than the rule's.
        (HIGH.replace("Systolic BP", "Heart rate"), {"systolic_mmhg": 186}, "heart_rate_bpm"),
    ],
)  # fmt: skip
def test_a_sentence_that_cannot_be_read_back_is_kept_as_legacy_text(sentence, values, measure):
    alert = migration.alert_from_sentence(sentence, values)
    assert (alert["legacy_text"], alert["measure"], alert["rule_id"], alert["kind"]) == (sentence, measure, "", None)
    stored = ReadingAlert.from_json(alert)
    assert stored.message == sentence and stored.threshold_alert is None
    assert migration.sentence_from_alert(alert) == sentence


def reading(minute: int, alerts: list[dict[str, Any]], in_use: bool = True, **values: int | None) -> dict[str, Any]:
    return {
        "measured_at": dt.datetime(2026, 3, 2, 16, minute, tzinfo=dt.UTC),
        "external_id": f"r{minute}",
        "in_use": in_use,
        "alerts": alerts,
        **values,
    }


def test_an_alert_is_resolved_by_the_first_later_reading_in_use_that_measured_it_without_the_rule():
    high = f"Systolic BP: 186 mmHg is above 180 mmHg. {PAUSE} (rule systolic_high, {V})"
    again = f"Systolic BP: 184 mmHg is above 180 mmHg. {PAUSE} (rule systolic_high, {V})"
    readings = [
        reading(0, [migration.alert_from_sentence(high, {"systolic_mmhg": 186})], systolic_mmhg=186),
        reading(10, [], heart_rate_bpm=80),  # another measure
        reading(20, [], in_use=False, systolic_mmhg=120),  # entered in error
        reading(30, [migration.alert_from_sentence(again, {"systolic_mmhg": 184})], systolic_mmhg=184),
        reading(40, [migration._legacy("Systolic BP: odd words")], systolic_mmhg=200),  # may have crossed it
        reading(50, [], systolic_mmhg=130),
    ]
    migration.resolve_in_order(readings)
    first, later = readings[0]["alerts"][0], readings[3]["alerts"][0]
    assert (first["state"], first["resolved_by"], first["resolved_at"]) == (
        "resolved",
        "r50",
        "2026-03-02T16:50:00+00:00",
    )
    assert (later["state"], later["resolved_by"]) == ("resolved", "r50")
    assert readings[4]["alerts"][0]["state"] == "open"  # legacy text is never resolved by a reading
    assert all(ReadingAlert.from_json(a) for r in readings for a in r["alerts"])


@pytest.mark.django_db
def test_the_migration_turns_stored_sentences_into_data_and_back(session):
    """Run on rows as 0007 left them (sentences), through the historical model, then reversed."""
    state = MigrationExecutor(connection).loader.project_state(("treatment_sessions", "0008_alerts_as_data"))
    historical = state.apps.get_model("treatment_sessions", "VitalSign")
    high = f"Systolic BP: 186 mmHg is above 180 mmHg. {PAUSE} (rule systolic_high, {V})"
    odd = "Systolic BP: written by hand long ago"
    start = session.starts_at
    rows = [
        historical.objects.create(
            session_id=session.pk, measured_at=start, source="hand", idempotency_key="m1", systolic_mmhg=186,
            alerts=[high, odd],
        ),
        historical.objects.create(
            session_id=session.pk, measured_at=start + dt.timedelta(minutes=10), source="hand",
            idempotency_key="m2", systolic_mmhg=130, alerts=[],
        ),
    ]  # fmt: skip

    migration.alerts_to_data(state.apps, None)
    first = VitalSign.objects.get(pk=rows[0].pk)
    parsed, kept = first.reading_alerts
    assert (parsed.rule_id, parsed.kind, parsed.threshold, parsed.value) == ("systolic_high", "above", 180, 186)
    assert (parsed.state, parsed.resolved_by) == (AlertState.RESOLVED, str(rows[1].external_id))
    assert (kept.legacy_text, kept.measure, kept.state) == (odd, "systolic_mmhg", AlertState.OPEN)
    assert first.alert_messages == [high, odd]  # the flowsheet shows what it showed
    migration.alerts_to_data(state.apps, None)  # a second run changes nothing
    assert VitalSign.objects.get(pk=rows[0].pk).alerts == first.alerts

    migration.alerts_to_sentences(state.apps, None)
    assert historical.objects.get(pk=rows[0].pk).alerts == [high, odd]
