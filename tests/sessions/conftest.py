"""Fixtures shared by the sessions tests."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from ketaclinic.core.permissions import Role
from ketaclinic.sessions.models import RemsEnrollment
from tests.factories import ChairFactory, PatientFactory, StaffFactory, StandInPlanFactory
from tests.sessions.steps import signed_plan

LA = zoneinfo.ZoneInfo("America/Los_Angeles")


@pytest.fixture
def booking_clock() -> Iterator[None]:
    """Monday 2 March 2026, 08:00 in Buena Park, a week before the bookings the tests make."""
    with time_machine.travel(dt.datetime(2026, 3, 2, 8, tzinfo=LA), tick=False):
        yield


@pytest.fixture
def esketamine(center: Any) -> dict[str, Any]:
    """An esketamine TRD course ready to book: REMS enrollment, plan at the day-1 56 mg, a chair."""
    prescriber = StaffFactory(center=center, role=Role.PRESCRIBER)
    nurse = StaffFactory(center=center, role=Role.NURSE)
    patient = PatientFactory(center=center)
    RemsEnrollment.objects.create(
        patient=patient, enrollment_reference="REMS-1", enrolled_on=dt.date(2026, 3, 1), recorded_by=nurse,
        recorded_at=dt.datetime(2026, 3, 1, 12, tzinfo=LA),
    )  # fmt: skip
    plan = StandInPlanFactory(
        patient=patient, signer=prescriber, route="esketamine_nasal_spray", protocol_key="esketamine_trd_us",
        fixed_dose_mg=Decimal("56"), min_observation_minutes=120, planned_sessions=8,
    )  # fmt: skip
    return {
        "plan": plan,
        "prescriber": prescriber,
        "nurse": nurse,
        "chair": ChairFactory(room__center=center),
        "patient": patient,
    }


@pytest.fixture
def second_nurse(center: Any) -> Any:
    """A nurse of the same center who checks a dose with their password."""
    return StaffFactory(center=center, role=Role.NURSE, with_password=True)


@pytest.fixture
def setting(center: Any) -> dict[str, Any]:
    """A prescriber, a nurse, a patient with a signed IV plan, and a chair, ready to book."""
    prescriber = StaffFactory(center=center, role=Role.PRESCRIBER, with_password=True)
    nurse = StaffFactory(center=center, role=Role.NURSE)
    patient = PatientFactory(center=center)
    return {
        "prescriber": prescriber,
        "nurse": nurse,
        "patient": patient,
        "chair": ChairFactory(room__center=center),
        "plan": signed_plan(prescriber, patient),
    }
