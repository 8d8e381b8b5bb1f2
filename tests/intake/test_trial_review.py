"""The consultation shows trials left out of the resistance count until a prescriber reviews them."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine

from ketaclinic.core.permissions import Role
from ketaclinic.intake.assessment import treatment_resistance
from ketaclinic.intake.models import PriorTrial
from tests.factories import StaffFactory
from tests.intake.steps import consultation_filled_in, trials_entered_on_the_page

PACIFIC = zoneinfo.ZoneInfo("America/Los_Angeles")


@pytest.fixture(autouse=True)
def _clock():  # type: ignore[no-untyped-def]
    with time_machine.travel(dt.datetime(2026, 11, 30, 10, tzinfo=PACIFIC), tick=False):
        yield


@pytest.fixture
def prescriber(center):  # type: ignore[no-untyped-def]
    return StaffFactory(center=center, role=Role.PRESCRIBER, with_password=True)


@pytest.mark.django_db
def test_a_misspelt_trial_and_an_augmentation_agent_are_shown_as_not_counted(prescriber, patient):
    consultation = consultation_filled_in(prescriber, patient, diagnosis_codes=["F33.2"])
    page = trials_entered_on_the_page(prescriber, consultation, "sertraline", "sertaline", "lithium")
    assert '<span class="warn-text small">not counted: not coded — review; did you mean sertraline?</span>' in page
    assert '<span class="warn-text small">not counted: an augmentation agent</span>' in page
    assert "Failed adequate trials in the current episode: 1 (sertraline)" in page
    resistance = treatment_resistance(consultation, list(PriorTrial.objects.order_by("pk")))
    assert resistance.failed_trial_count == 1
    assert resistance.meets_definition is not True
