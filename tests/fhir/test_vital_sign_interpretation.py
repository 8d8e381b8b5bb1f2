"""A vital sign that raised a threshold alert carries its HL7 v3 interpretation in FHIR."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from fhir.resources.R4B.observation import Observation

from ketaclinic.core.monitoring import check_reading
from ketaclinic.fhir.sessions import OBSERVATION_INTERPRETATION, observations_from_vital_sign
from ketaclinic.sessions.models import ReadingAlert, VitalSign


def reading(session: Any, alerts_from: dict[str, Any] | None = None, **values: int) -> VitalSign:
    """A stored reading whose alerts are what the thresholds say of its values."""
    raised = check_reading(values, **(alerts_from or {"baseline": {}}))
    return VitalSign.objects.create(
        session=session,
        measured_at=timezone.now(),
        source=VitalSign.Source.HAND,
        recorded_by=session.nurse,
        idempotency_key=f"hand-{sorted(values.items())}",
        alerts=[ReadingAlert.raised(alert).as_json() for alert in raised],
        **values,
    )


def interpretation(resource: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (concept["coding"][0]["system"], concept["coding"][0]["code"]) for concept in resource.get("interpretation", [])
    ]


def by_code(observations: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    for observation in observations:
        Observation.model_validate(observation)
    return {observation["code"]["coding"][0]["code"]: observation for observation in observations}


V3 = OBSERVATION_INTERPRETATION


@pytest.mark.django_db
def test_a_value_above_or_below_its_limit_is_high_or_low_and_the_others_carry_none(session):
    found = by_code(
        observations_from_vital_sign(
            reading(session, systolic_mmhg=190, diastolic_mmhg=80, heart_rate_bpm=45, spo2_percent=97)
        )
    )
    systolic, diastolic = found["85354-9"]["component"]
    assert interpretation(systolic) == [(V3, "H")]
    assert systolic["interpretation"][0]["coding"][0]["display"] == "High"
    assert "interpretation" not in diastolic and "interpretation" not in found["85354-9"]
    assert interpretation(found["8867-4"]) == [(V3, "L")]  # heart rate 45, below 50
    assert "interpretation" not in found["59408-5"]  # SpO2 97: no alert


@pytest.mark.django_db
def test_a_change_from_the_sessions_own_level_is_a_significant_change(session):
    rise = by_code(
        observations_from_vital_sign(
            reading(session, {"baseline": {"systolic_mmhg": 120}}, systolic_mmhg=170, diastolic_mmhg=80)
        )
    )
    assert interpretation(rise["85354-9"]["component"][0]) == [(V3, "U")]  # up 50: a rise, not above 180
    drop = by_code(observations_from_vital_sign(reading(session, {"baseline": {}, "pre_dose": {"moaas": 5}}, moaas=2)))
    # Below the pre-dose level (a change down) and at or below 2 (low): one code each.
    assert interpretation(drop["moaas"]) == [(V3, "L"), (V3, "D")]


@pytest.mark.django_db
def test_a_bedside_rating_at_or_above_its_limit_is_abnormal(session):
    found = by_code(observations_from_vital_sign(reading(session, nausea=2, dissociation=1)))
    assert interpretation(found["nausea"]) == [(V3, "A")]
    assert "interpretation" not in found["dissociation"]  # mild: no alert


@pytest.mark.django_db
def test_an_alert_kept_as_legacy_text_gives_no_interpretation(session):
    sign = reading(session, spo2_percent=85)
    sign.alerts = [ReadingAlert.legacy("SpO2: low, in words from before").as_json() | {"measure": "spo2_percent"}]
    sign.save()
    (observation,) = observations_from_vital_sign(sign)
    Observation.model_validate(observation)
    assert "interpretation" not in observation
