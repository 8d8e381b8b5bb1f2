"""Esketamine's label frequency at booking, and its day-1 dose at the point of care."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from django.urls import reverse

from ketaclinic.core.errors import RuleViolation
from ketaclinic.sessions.models import TreatmentSession
from ketaclinic.sessions.services.booking import treatment_series_book, treatment_session_close
from ketaclinic.sessions.services.dose import dose_compute
from tests.steps import acting, signed_in

LA = zoneinfo.ZoneInfo("America/Los_Angeles")
MONDAY_9 = dt.datetime(2026, 3, 9, 9, tzinfo=LA)


# A Monday in March in Buena Park: the clock and the esketamine course are tests/sessions/conftest.py's.
pytestmark = pytest.mark.usefixtures("booking_clock")


def book(setting, starts_at, count=1):  # type: ignore[no-untyped-def]
    return treatment_series_book(
        actor=acting(setting["nurse"]), plan=setting["plan"], chair=setting["chair"], nurse=setting["nurse"],
        first_starts_at=starts_at, count=count,
    )  # fmt: skip


def local_days(sessions):  # type: ignore[no-untyped-def]
    return [s.starts_at.astimezone(LA).date() for s in sessions]


@pytest.mark.django_db
def test_a_series_moves_a_third_session_in_week_one_to_week_two(esketamine):
    """TRD weeks 1-4 allow 2 sessions a week; every-2-days spacing alone would give 3."""
    booked = book(esketamine, MONDAY_9, count=3)
    assert local_days(booked) == [dt.date(2026, 3, 9), dt.date(2026, 3, 11), dt.date(2026, 3, 16)]


@pytest.mark.django_db
def test_a_third_session_in_week_one_is_refused_with_the_reason(esketamine):
    book(esketamine, MONDAY_9, count=2)
    with pytest.raises(RuleViolation) as raised:
        book(esketamine, MONDAY_9 + dt.timedelta(days=4))
    assert raised.value.code == "too_frequent"
    assert "week 1 of the course allows 2 sessions a week; 3 are booked" in str(raised.value.message)
    assert TreatmentSession.objects.count() == 2


@pytest.mark.django_db
def test_week_six_allows_one_session_and_a_cancelled_one_does_not_count(esketamine):
    book(esketamine, MONDAY_9)
    (week_6,) = book(esketamine, MONDAY_9 + dt.timedelta(days=35))
    with pytest.raises(RuleViolation) as raised:
        book(esketamine, MONDAY_9 + dt.timedelta(days=37))
    assert "week 6 of the course allows 1 session a week; 2 are booked" in str(raised.value.message)
    treatment_session_close(
        actor=acting(esketamine["nurse"]), session=week_6, status="cancelled", reason="Patient ill."
    )
    assert local_days(book(esketamine, MONDAY_9 + dt.timedelta(days=37))) == [dt.date(2026, 4, 15)]


@pytest.mark.django_db
def test_the_booking_form_shows_why_a_session_is_too_frequent(esketamine):
    book(esketamine, MONDAY_9, count=2)
    client = signed_in(esketamine["nurse"])
    url = reverse("sessions:patient", kwargs={"patient_id": esketamine["patient"].external_id})
    response = client.post(
        url,
        {
            "first_starts_at": (MONDAY_9 + dt.timedelta(days=4)).strftime("%Y-%m-%dT%H:%M"),
            "chair": esketamine["chair"].pk,
            "nurse": esketamine["nurse"].pk,
            "count": 1,
        },
    )
    assert response.status_code == 422
    assert "week 1 of the course allows 2 sessions a week; 3 are booked" in response.content.decode()


@pytest.mark.django_db
def test_the_first_esketamine_dose_is_the_protocols_day_1_dose_at_the_point_of_care(esketamine):
    """A plan that skipped signing's check (84 mg on day 1) is still refused when the dose is computed."""
    plan = esketamine["plan"]
    plan.fixed_dose_mg = Decimal("84")
    with pytest.raises(RuleViolation) as raised:
        dose_compute(plan=plan)
    assert raised.value.code == "esketamine_first_dose"
    assert "56 mg" in str(raised.value)
    plan.fixed_dose_mg = Decimal("56")
    assert dose_compute(plan=plan)["device_count"] == 2
