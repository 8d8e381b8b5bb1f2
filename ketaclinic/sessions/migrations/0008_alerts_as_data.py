"""A reading's threshold alerts become data: each stored sentence is read back into its rule and limit.

Before, ``VitalSign.alerts`` held sentences: "<Label>: <limit words>. <response> (rule <id>,
<version>)". Each becomes one object of the ``ReadingAlert`` schema: the rule id and version
from "(rule X, V)", the value from the reading's own measure field, the limit (kind, threshold)
from that rule in the thresholds file, and the baseline or pre-dose level it was compared with
from the words. A sentence is taken as data only when the data renders back to exactly the
same words; any other is kept as it was, as legacy text (with its measure where its label
names one), so nothing is lost and the flowsheet shows what it showed before.

An alert a later reading of the same measure no longer raised is marked resolved by that
reading, as it would have been had it been stored as data. This is a change of representation,
not of the clinical record, so no history entries are written; reversing it writes the
sentences back.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

from django.db import migrations, models

from ketaclinic.core.monitoring import LABELS, THRESHOLDS, Limit, ThresholdAlert, alert_sentence

TAIL = re.compile(r" \(rule (?P<rule>[^,()]+), (?P<version>[^()]+)\)$")
BASELINE = re.compile(r" above the baseline (?P<level>-?\d+)")
PRE_DOSE = re.compile(r", down from (?P<level>-?\d+)\b")


def _empty(**fields: Any) -> dict[str, Any]:
    """One alert object with every key of the schema, as this migration writes it."""
    alert: dict[str, Any] = {
        "rule_id": "",
        "measure": "",
        "value": None,
        "kind": None,
        "threshold": None,
        "compared_with": None,
        "finding": "",
        "response": "",
        "rule_version": "",
        "legacy_text": "",
        "state": "open",
        "acknowledged_at": None,
        "acknowledged_by_id": None,
        "acknowledged_by": "",
        "resolved_at": None,
        "resolved_by": "",
    }
    return alert | fields


def _legacy(sentence: str) -> dict[str, Any]:
    measure = next((m for m, label in LABELS.items() if sentence.startswith(f"{label}: ")), "")
    return _empty(legacy_text=sentence, measure=measure)


def alert_from_sentence(sentence: str, values: Mapping[str, int | None]) -> dict[str, Any]:
    """The alert a stored sentence says, as data; the sentence kept as legacy text if it cannot be read back.

    ``values`` are the reading's own measures.
    """
    if not isinstance(sentence, str):
        return _legacy(str(sentence))
    tail = TAIL.search(sentence)
    rule = THRESHOLDS.rule(tail["rule"]) if tail else None
    if tail is None or rule is None or not sentence.startswith(f"{LABELS[rule.measure]}: "):
        return _legacy(sentence)
    value = values.get(rule.measure)
    if not isinstance(value, int):
        return _legacy(sentence)
    baseline, pre_dose = BASELINE.search(sentence), PRE_DOSE.search(sentence)
    crossing = rule.crossing(
        value,
        int(baseline["level"]) if baseline else None,
        int(pre_dose["level"]) if pre_dose else None,
    )
    if crossing is None:
        return _legacy(sentence)
    alert = ThresholdAlert(
        rule_id=rule.id,
        measure=rule.measure,
        value=value,
        kind=crossing.kind,
        threshold=crossing.threshold,
        response="",
        version=tail["version"],
        compared_with=crossing.compared_with,
        finding=rule.finding if crossing.kind is Limit.DROP_BELOW_PRE_DOSE else "",
    )
    # The response is whatever stands between the limit's words and the rule: as it was written then.
    head = f"{LABELS[rule.measure]}: {alert.limit}. "
    if not sentence.startswith(head) or tail.start() < len(head):
        return _legacy(sentence)
    response = sentence[len(head) : tail.start()]
    alert = dataclasses.replace(alert, response=response)
    if alert_sentence(alert) != sentence:
        return _legacy(sentence)
    return _empty(
        rule_id=alert.rule_id,
        measure=alert.measure,
        value=alert.value,
        kind=str(alert.kind),
        threshold=alert.threshold,
        compared_with=alert.compared_with,
        finding=alert.finding,
        response=alert.response,
        rule_version=alert.version,
    )


def sentence_from_alert(alert: Mapping[str, Any]) -> str:
    """The sentence an alert object says, as the field held it before (for reversing the migration)."""
    if alert.get("legacy_text") or not alert.get("kind"):
        return str(alert.get("legacy_text", ""))
    return alert_sentence(
        ThresholdAlert(
            rule_id=alert["rule_id"],
            measure=alert["measure"],
            value=alert["value"],
            kind=Limit(alert["kind"]),
            threshold=alert["threshold"],
            response=alert["response"],
            version=alert["rule_version"],
            compared_with=alert["compared_with"],
            finding=alert["finding"],
        )
    )


def resolve_in_order(readings: list[dict[str, Any]]) -> None:
    """Mark each alert resolved by the first later reading in use that measured it without raising its rule.

    ``readings`` are one session's, in time order: dicts with ``measured_at``, ``external_id``,
    ``in_use``, the measures, and ``alerts`` already as data. A later reading whose own alert on
    the measure could not be read back (legacy text) may have crossed the rule, so it resolves nothing.
    """
    for index, reading in enumerate(readings):
        for alert in reading["alerts"]:
            if alert["legacy_text"]:
                continue
            for later in readings[index + 1 :]:
                if not later["in_use"] or later["measured_at"] <= reading["measured_at"]:
                    continue
                if later.get(alert["measure"]) is None:
                    continue
                theirs = [a for a in later["alerts"] if a["measure"] == alert["measure"]]
                if any(a["rule_id"] == alert["rule_id"] or a["legacy_text"] for a in theirs):
                    continue
                alert["state"] = "resolved"
                alert["resolved_at"] = later["measured_at"].isoformat()
                alert["resolved_by"] = str(later["external_id"])
                break


def _sessions_with_alerts(VitalSign: Any) -> list[int]:
    return sorted(set(VitalSign.objects.exclude(alerts=[]).values_list("session_id", flat=True)))


def alerts_to_data(apps: Any, schema_editor: Any) -> None:
    VitalSign = apps.get_model("treatment_sessions", "VitalSign")
    measures = list(LABELS)
    for session_id in _sessions_with_alerts(VitalSign):
        rows = list(
            VitalSign.objects.filter(session_id=session_id)
            .order_by("measured_at", "pk")
            .values("pk", "external_id", "measured_at", "entered_in_error_at", "alerts", *measures)
        )
        readings = []
        for row in rows:
            stored = row["alerts"] if isinstance(row["alerts"], list) else [row["alerts"]]
            if all(isinstance(alert, dict) for alert in stored):
                alerts = stored  # already data: a second run changes nothing
            else:
                alerts = [alert_from_sentence(alert, row) for alert in stored]
            readings.append({**row, "in_use": row["entered_in_error_at"] is None, "alerts": alerts})
        resolve_in_order(readings)
        for reading, row in zip(readings, rows, strict=True):
            if reading["alerts"] != row["alerts"]:
                VitalSign.objects.filter(pk=row["pk"]).update(alerts=reading["alerts"])


def alerts_to_sentences(apps: Any, schema_editor: Any) -> None:
    VitalSign = apps.get_model("treatment_sessions", "VitalSign")
    for row in VitalSign.objects.exclude(alerts=[]).values("pk", "alerts"):
        sentences = [sentence_from_alert(a) if isinstance(a, dict) else a for a in row["alerts"]]
        VitalSign.objects.filter(pk=row["pk"]).update(alerts=sentences)


class Migration(migrations.Migration):
    dependencies = [
        ("treatment_sessions", "0007_dose_drawn_from_lot"),
    ]

    operations = [
        migrations.AlterField(
            model_name="vitalsign",
            name="alerts",
            field=models.JSONField(
                blank=True, default=list, help_text="The threshold alerts it raised, as data, each with its state."
            ),
        ),
        migrations.RunPython(alerts_to_data, alerts_to_sentences),
    ]
