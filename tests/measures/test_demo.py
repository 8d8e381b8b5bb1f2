"""The demo's questionnaire history is answered at visits inside the centers' opening hours."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine

from ketaclinic.clinics.models import OpeningHours
from ketaclinic.demo.network import demo_network_build, demo_patients_build
from ketaclinic.demo.questionnaires import demo_measures_build
from ketaclinic.measures.models import QuestionnaireResponse

PACIFIC = zoneinfo.ZoneInfo("America/Los_Angeles")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "clock",
    [dt.datetime(2026, 12, 3, 1, 0, tzinfo=PACIFIC), dt.datetime(2026, 11, 1, 1, 30, tzinfo=PACIFIC)],
)
def test_demo_measures_are_answered_inside_opening_hours_whenever_seeded(clock):  # type: ignore[no-untyped-def]
    with time_machine.travel(clock, tick=True):
        centers = demo_network_build()
        demo_patients_build(centers=centers, count=12, seed=1)
        made = demo_measures_build(centers=centers, seed=1, patients_per_center=3)
    assert made > 0
    hours = {(h.center_id, h.weekday): (h.opens_at, h.closes_at) for h in OpeningHours.objects.all()}
    responses = QuestionnaireResponse.objects.select_related("patient")
    assert responses.count() == made
    for response in responses:
        local = response.completed_at.astimezone(PACIFIC)
        opens, closes = hours[(response.patient.center_id, local.weekday())]
        assert opens <= local.time() < closes, local
        assert response.completed_at < clock
