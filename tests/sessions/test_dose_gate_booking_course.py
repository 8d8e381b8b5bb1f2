"""Booking only under the patient's current plan of an ongoing course, at the course's frequency."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse

from ketaclinic.core.errors import RuleViolation
from ketaclinic.sessions.models import TreatmentSession
from ketaclinic.sessions.services.booking import treatment_series_book
from tests.factories import StandInPlanFactory
from tests.steps import acting, signed_in

LA = zoneinfo.ZoneInfo("America/Los_Angeles")
MONDAY_9 = dt.datetime(2026, 3, 9, 9, tzinfo=LA)


# A Monday in March in Buena Park: the clock and the esketamine course are tests/sessions/conftest.py's.
pytestmark = pytest.mark.usefixtures("booking_clock")


def new_version(setting, **fields):  # type: ignore[no-untyped-def]
    """Sign the next version of the patient's plan (a stand-in signature, as the factory does)."""
    previous = setting["plan"]
    values = {
        "route": previous.route,
        "protocol_key": previous.protocol_key,
        "fixed_dose_mg": previous.fixed_dose_mg,
        "min_observation_minutes": previous.min_observation_minutes,
        "planned_sessions": previous.planned_sessions,
    } | fields
    plan = StandInPlanFactory(
        patient=setting["patient"], signer=setting["prescriber"], version=previous.version + 1, supersedes=previous,
        **values,
    )  # fmt: skip
    setting["plan"] = plan
    return plan


def book(setting, starts_at, count=1, plan=None):  # type: ignore[no-untyped-def]
    return treatment_series_book(
        actor=acting(setting["nurse"]), plan=plan or setting["plan"], chair=setting["chair"], nurse=setting["nurse"],
        first_starts_at=starts_at, count=count,
    )  # fmt: skip


def day(n: int) -> dt.datetime:
    return MONDAY_9 + dt.timedelta(days=n)


# Item 1: only the current plan, and never one on hold.


@pytest.mark.django_db
def test_booking_under_a_plan_on_hold_is_refused_with_the_reason(esketamine):
    new_version(esketamine, phase="on_hold")
    with pytest.raises(RuleViolation) as raised:
        book(esketamine, day(0))
    assert raised.value.code == "course_on_hold"
    assert "on hold" in str(raised.value.message)
    assert not TreatmentSession.objects.exists()


@pytest.mark.django_db
def test_booking_under_a_superseded_version_is_refused_even_from_a_stale_plan(esketamine):
    """A plan read before v2 was signed still knows it had no successor; the booking asks afresh."""
    old = esketamine["plan"]
    assert old.is_current  # caches "no successor" on this instance
    new_version(esketamine)
    with pytest.raises(RuleViolation) as raised:
        book(esketamine, day(0), plan=old)
    assert raised.value.code == "plan_not_current"
    assert "v2" in str(raised.value.message)
    assert not TreatmentSession.objects.exists()


@pytest.mark.django_db
def test_the_booking_form_shows_why_a_course_on_hold_cannot_be_booked(esketamine):
    new_version(esketamine, phase="on_hold")
    client = signed_in(esketamine["nurse"])
    url = reverse("sessions:patient", kwargs={"patient_id": esketamine["patient"].external_id})
    response = client.post(
        url,
        {
            "first_starts_at": day(0).strftime("%Y-%m-%dT%H:%M"),
            "chair": esketamine["chair"].pk,
            "nurse": esketamine["nurse"].pk,
            "count": 1,
        },
    )
    assert response.status_code == 422
    assert "on hold" in response.content.decode()
    assert not TreatmentSession.objects.exists()


# Item 2: the frequency rule follows the course, not the protocol key or fixed week blocks.


@pytest.mark.django_db
def test_switching_esketamine_protocols_does_not_restart_the_weekly_count(esketamine):
    book(esketamine, day(0))
    book(esketamine, day(2))
    new_version(esketamine, protocol_key="esketamine_mdsi_us")
    with pytest.raises(RuleViolation) as raised:
        book(esketamine, day(4))
    assert raised.value.code == "too_frequent"
    assert "week 1 of the course allows 2 sessions a week; 3 are booked" in str(raised.value.message)
    assert TreatmentSession.objects.count() == 2


@pytest.mark.django_db
def test_two_doses_two_days_apart_across_a_week_boundary_are_refused_once_a_week(esketamine):
    """Days 34 and 36 fall in weeks 5 and 6 of the course, but are two days apart."""
    book(esketamine, day(0))
    book(esketamine, day(34))
    with pytest.raises(RuleViolation) as raised:
        book(esketamine, day(36))
    assert raised.value.code == "too_frequent"
    message = str(raised.value.message)
    assert "1 session in any 6 days" in message
    assert "2026-04-12" in message  # day 34, the session it is too close to
    assert TreatmentSession.objects.count() == 2


@pytest.mark.django_db
def test_a_once_a_week_session_may_move_a_day_earlier(esketamine):
    """The rolling window leaves the project-default day of tolerance (days 34 and 40)."""
    book(esketamine, day(0))
    book(esketamine, day(34))
    (moved,) = book(esketamine, day(40))
    assert moved.starts_at == day(40)


@pytest.mark.django_db
def test_a_re_induction_after_an_ended_course_starts_a_new_course(esketamine):
    book(esketamine, day(0))
    book(esketamine, day(2))
    new_version(esketamine, phase="ended", ended_reason="Remission.")
    new_version(esketamine, phase="induction")
    # Weeks 1-4 of the new course allow 2 a week; counted from day 0 this would be week 9 (1 a week).
    booked = book(esketamine, day(60)) + book(esketamine, day(62))
    assert [s.starts_at for s in booked] == [day(60), day(62)]
    with pytest.raises(RuleViolation) as raised:
        book(esketamine, day(64))
    assert "week 1 of the course allows 2 sessions a week; 3 are booked" in str(raised.value.message)
