from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from ketaclinic.audit.models import AuditEntry
from ketaclinic.core.errors import Conflict, Forbidden, RuleViolation
from ketaclinic.core.permissions import Role
from ketaclinic.sessions.models import TreatmentSession
from ketaclinic.sessions.services.booking import treatment_series_book, treatment_session_close
from tests.factories import ChairFactory, PatientFactory, StaffFactory
from tests.sessions.steps import next_monday_at, signed_plan
from tests.steps import acting, signed_in

LA = zoneinfo.ZoneInfo("America/Los_Angeles")


@pytest.mark.django_db
def test_the_series_is_placed_by_the_plans_spacing_with_the_protocols_length(setting):
    booked = treatment_series_book(
        actor=acting(setting["nurse"]),
        plan=setting["plan"],
        chair=setting["chair"],
        nurse=setting["nurse"],
        first_starts_at=next_monday_at(9),
    )
    assert len(booked) == 6
    assert [b.starts_at.astimezone(LA).weekday() for b in booked[:3]] == [0, 2, 4]  # every two days
    assert all(b.ends_at - b.starts_at == dt.timedelta(minutes=80) for b in booked)  # 40 min + 40 observation
    assert AuditEntry.objects.filter(action="treatment_session.booked").count() == 6


@pytest.mark.django_db
def test_a_taken_chair_moves_a_later_session_to_the_next_free_day(center, setting):
    other = PatientFactory(center=center)
    other_plan = signed_plan(setting["prescriber"], other)
    # Someone else holds the chair on Wednesday morning.
    treatment_series_book(
        actor=acting(setting["nurse"]),
        plan=other_plan,
        chair=setting["chair"],
        nurse=StaffFactory(center=center, role=Role.NURSE),
        first_starts_at=next_monday_at(9) + dt.timedelta(days=2),
        count=1,
    )
    booked = treatment_series_book(
        actor=acting(setting["nurse"]),
        plan=setting["plan"],
        chair=setting["chair"],
        nurse=setting["nurse"],
        first_starts_at=next_monday_at(9),
        count=2,
    )
    assert [b.starts_at.astimezone(LA).weekday() for b in booked] == [0, 3]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("clash", "reason"),
    [("chair", "chair is taken"), ("nurse", "nurse is with another patient"), ("patient", "already has a session")],
)
def test_a_clash_on_the_first_session_is_refused_with_its_reason(center, setting, clash, reason):
    other_nurse = StaffFactory(center=center, role=Role.NURSE)
    other_chair = ChairFactory(room__center=center)
    first = next_monday_at(9)
    if clash == "patient":
        treatment_series_book(
            actor=acting(setting["nurse"]),
            plan=setting["plan"],
            chair=other_chair,
            nurse=other_nurse,
            first_starts_at=first,
            count=1,
        )
    else:
        other_plan = signed_plan(setting["prescriber"], PatientFactory(center=center))
        treatment_series_book(
            actor=acting(setting["nurse"]),
            plan=other_plan,
            chair=setting["chair"] if clash == "chair" else other_chair,
            nurse=setting["nurse"] if clash == "nurse" else other_nurse,
            first_starts_at=first,
            count=1,
        )
    before = TreatmentSession.objects.count()
    with pytest.raises(Conflict, match=reason):
        treatment_series_book(
            actor=acting(setting["nurse"]),
            plan=setting["plan"],
            chair=setting["chair"],
            nurse=setting["nurse"],
            first_starts_at=first + dt.timedelta(minutes=30),
            count=1,
        )
    assert TreatmentSession.objects.count() == before


@pytest.mark.django_db
def test_doses_closer_than_the_plan_allows_are_refused(setting):
    treatment_series_book(
        actor=acting(setting["nurse"]),
        plan=setting["plan"],
        chair=setting["chair"],
        nurse=setting["nurse"],
        first_starts_at=next_monday_at(9),
        count=1,
    )
    with pytest.raises(Conflict, match="at least 2 days apart"):
        treatment_series_book(
            actor=acting(setting["nurse"]),
            plan=setting["plan"],
            chair=setting["chair"],
            nurse=setting["nurse"],
            first_starts_at=next_monday_at(9) + dt.timedelta(days=1),
            count=1,
        )


@pytest.mark.django_db
def test_booking_needs_a_future_time_a_local_chair_and_a_booking_role(center, other_center, setting):
    kwargs = {"plan": setting["plan"], "nurse": setting["nurse"], "count": 1}
    with pytest.raises(RuleViolation, match="future"):
        treatment_series_book(
            actor=acting(setting["nurse"]),
            chair=setting["chair"],
            first_starts_at=timezone.now() - dt.timedelta(hours=1),
            **kwargs,
        )
    with pytest.raises(RuleViolation, match="chair at the patient's center"):
        treatment_series_book(
            actor=acting(setting["nurse"]),
            chair=ChairFactory(room__center=other_center),
            first_starts_at=next_monday_at(9),
            **kwargs,
        )
    with pytest.raises(Forbidden):
        treatment_series_book(
            actor=acting(StaffFactory(center=center, role=Role.THERAPIST)),
            chair=setting["chair"],
            first_starts_at=next_monday_at(9),
            **kwargs,
        )
    assert not TreatmentSession.objects.exists()


@pytest.mark.django_db
def test_cancelled_and_missed_sessions_stay_on_record_and_free_the_chair(setting):
    (session,) = treatment_series_book(
        actor=acting(setting["nurse"]),
        plan=setting["plan"],
        chair=setting["chair"],
        nurse=setting["nurse"],
        first_starts_at=next_monday_at(9),
        count=1,
    )
    with pytest.raises(RuleViolation):
        treatment_session_close(actor=acting(setting["nurse"]), session=session, status="cancelled", reason=" ")
    treatment_session_close(
        actor=acting(setting["nurse"]), session=session, status="no_show", reason="Did not come; called."
    )
    session.refresh_from_db()
    assert (session.status, session.status_reason) == ("no_show", "Did not come; called.")
    again = treatment_series_book(
        actor=acting(setting["nurse"]),
        plan=setting["plan"],
        chair=setting["chair"],
        nurse=setting["nurse"],
        first_starts_at=next_monday_at(9),
        count=1,
    )
    assert again[0].number_in_series == 2
    assert TreatmentSession.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("count", [1, 12])
def test_day_view_query_count_is_flat(django_assert_num_queries, center, setting, count):
    chairs = [setting["chair"]] + [ChairFactory(room=setting["chair"].room) for _ in range(count - 1)]
    for chair in chairs:
        patient = PatientFactory(center=center)
        plan = signed_plan(setting["prescriber"], patient)
        treatment_series_book(
            actor=acting(setting["nurse"]),
            plan=plan,
            chair=chair,
            nurse=StaffFactory(center=center, role=Role.NURSE),
            first_starts_at=next_monday_at(9),
            count=1,
        )
    client = signed_in(setting["nurse"])
    url = reverse("sessions:day") + f"?date={next_monday_at(9).date().isoformat()}"
    client.get(url)
    # One of the seven fetches every session's day-before confirmation, in one query for the day.
    with django_assert_num_queries(7):
        page = client.get(url)
    assert page.content.decode().count("session-scheduled") == count


@pytest.mark.django_db
def test_the_sessions_tab_books_the_series(setting):
    client = signed_in(setting["nurse"])
    url = reverse("sessions:patient", kwargs={"patient_id": setting["patient"].external_id})
    response = client.post(
        url,
        {
            "first_starts_at": next_monday_at(9).strftime("%Y-%m-%dT%H:%M"),
            "chair": setting["chair"].pk,
            "nurse": setting["nurse"].pk,
            "count": 3,
        },
    )
    assert response.status_code == 302
    assert TreatmentSession.objects.filter(patient=setting["patient"]).count() == 3


@pytest.mark.django_db
def test_esketamine_cannot_be_booked_until_the_rems_enrollment_is_on_file(center, setting):
    from decimal import Decimal

    from ketaclinic.sessions.services.rems import rems_enrollment_record
    from tests.factories import StandInPlanFactory

    patient = PatientFactory(center=center)
    plan = StandInPlanFactory(
        patient=patient,
        signer=setting["prescriber"],
        route="esketamine_nasal_spray",
        protocol_key="esketamine_trd_us",
        fixed_dose_mg=Decimal("56"),
        min_observation_minutes=120,
    )
    booking = {
        "plan": plan,
        "chair": setting["chair"],
        "nurse": setting["nurse"],
        "first_starts_at": next_monday_at(9),
        "count": 1,
    }
    with pytest.raises(RuleViolation) as raised:
        treatment_series_book(actor=acting(setting["nurse"]), **booking)
    assert raised.value.code == "rems_not_enrolled"
    assert not TreatmentSession.objects.filter(patient=patient).exists()
    rems_enrollment_record(
        actor=acting(setting["nurse"]),
        patient=patient,
        enrollment_reference="REMS-00123",
        enrolled_on=timezone.localdate(),
    )
    (session,) = treatment_series_book(actor=acting(setting["nurse"]), **booking)
    assert session.ends_at - session.starts_at == dt.timedelta(minutes=130)  # 2 devices: 5 min rest + 5, then 2 h
    assert AuditEntry.objects.filter(action="rems_enrollment.recorded", patient=patient).exists()
