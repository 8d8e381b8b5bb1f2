"""The center's calendar: a day or a week, by chair or by the nurse in charge."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from ketaclinic.core.permissions import Role
from ketaclinic.sessions.selectors.calendar import CalendarBy, center_calendar
from ketaclinic.sessions.services.booking import treatment_series_book, treatment_session_close
from tests.factories import ChairFactory, PatientFactory, StaffFactory, TreatmentCenterFactory
from tests.sessions.steps import next_monday_at, signed_plan
from tests.steps import acting, signed_in


def book(setting, *, chair=None, nurse=None, at=None, count=1):  # type: ignore[no-untyped-def]
    patient = PatientFactory(center=setting["chair"].room.center)
    return treatment_series_book(
        actor=acting(setting["nurse"]),
        plan=signed_plan(setting["prescriber"], patient),
        chair=chair or setting["chair"],
        nurse=nurse or setting["nurse"],
        first_starts_at=at or next_monday_at(9),
        count=count,
    )


@pytest.mark.django_db
def test_the_week_places_each_session_on_its_local_day_by_chair_and_by_staff(center, setting):
    monday = next_monday_at(9)
    second_chair = ChairFactory(room=setting["chair"].room)
    other_nurse = StaffFactory(center=center, role=Role.NURSE, first_name="Kim", last_name="Ota")
    series = book(setting, count=3)  # Monday, Wednesday, Friday (two days apart)
    (thursday,) = book(setting, chair=second_chair, nurse=other_nurse, at=monday + dt.timedelta(days=3))
    week = center_calendar(
        actor=acting(setting["nurse"]), center=center, first_day=monday.date(), days=7, by=CalendarBy.CHAIR
    )
    by_chair = {row.label: [[s.pk for s in day] for day in row.days] for row in week}
    assert by_chair[setting["chair"].label] == [[series[0].pk], [], [series[1].pk], [], [series[2].pk], [], []]
    assert by_chair[second_chair.label] == [[], [], [], [thursday.pk], [], [], []]
    week = center_calendar(
        actor=acting(setting["nurse"]), center=center, first_day=monday.date(), days=7, by=CalendarBy.STAFF
    )
    by_staff = {row.label: [len(day) for day in row.days] for row in week}
    assert by_staff[str(other_nurse)] == [0, 0, 0, 1, 0, 0, 0]
    assert by_staff[str(setting["nurse"])] == [1, 0, 1, 0, 1, 0, 0]
    assert by_staff[str(setting["prescriber"])] == [0] * 7  # free all week, still listed


@pytest.mark.django_db
def test_cancelled_sessions_stay_on_the_calendar_marked(center, setting):
    (session,) = book(setting)
    treatment_session_close(actor=acting(setting["nurse"]), session=session, status="cancelled", reason="Flu")
    page = signed_in(setting["nurse"]).get(reverse("sessions:week") + f"?date={next_monday_at(9).date()}")
    body = page.content.decode()
    assert "slot-cancelled" in body and session.patient.display_name in body


@pytest.mark.django_db
def test_the_week_page_shows_the_week_from_monday_and_toggles_by_staff(center, setting):
    (session,) = book(setting, at=next_monday_at(9) + dt.timedelta(days=2))
    client = signed_in(setting["nurse"])
    wednesday = (next_monday_at(9) + dt.timedelta(days=2)).date()
    page = client.get(reverse("sessions:week") + f"?date={wednesday}&by=staff").content.decode()
    monday = next_monday_at(9).date()
    assert f"Week of {monday:%B} {monday.day}" in page
    assert "<strong>By staff</strong>" in page and session.patient.display_name in page
    assert str(setting["nurse"]) in page


@pytest.mark.django_db
def test_the_day_view_groups_by_staff_on_request(center, setting):
    (session,) = book(setting)
    page = signed_in(setting["nurse"]).get(reverse("sessions:day") + f"?date={next_monday_at(9).date()}&by=staff")
    body = page.content.decode()
    assert f"<h2>{setting['nurse']} " in body and setting["chair"].label in body
    assert session.patient.display_name in body


@pytest.mark.django_db
def test_another_centers_calendar_is_not_found(center, setting):
    from ketaclinic.core.errors import NotFound

    with pytest.raises(NotFound):
        center_calendar(
            actor=acting(setting["nurse"]),
            center=TreatmentCenterFactory(),
            first_day=dt.date.today(),
            days=7,
            by="chair",
        )


@pytest.mark.django_db
@pytest.mark.parametrize("count", [1, 10])
def test_week_query_count_is_flat(django_assert_num_queries, center, setting, count):
    for n in range(count):
        book(
            setting, chair=ChairFactory(room=setting["chair"].room), nurse=StaffFactory(center=center, role=Role.NURSE)
        )
        del n
    client = signed_in(setting["nurse"])
    url = reverse("sessions:week") + f"?date={next_monday_at(9).date()}"
    client.get(url)
    # session, user, roles, chairs, sessions, their confirmations, access entry
    with django_assert_num_queries(7):
        assert client.get(url).content.decode().count("slot-scheduled") == count


@pytest.mark.django_db
@pytest.mark.parametrize("date", ["9999-12-31", "0001-01-01", "garbage", ""])
def test_an_impossible_date_opens_today(setting, date):
    client = signed_in(setting["nurse"])
    for name in ("sessions:day", "sessions:week"):
        assert client.get(reverse(name) + f"?date={date}&by=other").status_code == 200


@pytest.mark.django_db
def test_the_day_list_asks_about_reminders_only_for_sessions_still_ahead(center, setting):
    from django.utils import timezone

    from tests.factories import StandInPlanFactory, TreatmentSessionFactory

    started = TreatmentSessionFactory(
        plan=StandInPlanFactory(patient__center=center, signer=setting["prescriber"]),
        chair=setting["chair"],
        nurse=setting["nurse"],
        starts_at=timezone.now() - dt.timedelta(minutes=30),
    )
    page = signed_in(setting["nurse"]).get(reverse("sessions:day") + f"?date={center.local_date(started.starts_at)}")
    body = page.content.decode()
    assert started.patient.display_name in body and "Day-before reminder" not in body
