"""Pages beside the chair keep a fixed number of queries however long the record grows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from ketaclinic.core.permissions import Role
from ketaclinic.sessions.services.dose import intervention_record
from ketaclinic.sessions.services.flowsheet import vital_sign_record
from ketaclinic.sessions.services.notes import session_note_amend, session_note_draft, session_note_sign
from tests.factories import PASSWORD, ChairFactory, StaffFactory, StandInPlanFactory, TreatmentSessionFactory
from tests.sessions.steps import running
from tests.steps import acting, signed_in


def queries_for(client, url, django_assert_max_num_queries, ceiling):  # type: ignore[no-untyped-def]
    client.get(url)  # warm the session and the roles
    with django_assert_max_num_queries(ceiling) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.django_db
@pytest.mark.parametrize("size", [1, 8])
def test_a_full_flowsheet_costs_the_same_whatever_its_length(
    django_assert_max_num_queries,
    center,
    session,
    size,
):
    nurse2 = StaffFactory(center=center, role=Role.NURSE, with_password=True)
    running(center, session, nurse2, minutes_ago=30)
    for n in range(size):
        vital_sign_record(
            actor=acting(session.nurse),
            session=session,
            values={"heart_rate_bpm": 70 + n, "systolic_mmhg": 120 + 10 * n},
        )
        intervention_record(
            actor=acting(session.nurse),
            session=session,
            drug="Ondansetron",
            amount="4 mg",
            drug_route="IV",
            reason=f"Nausea {n}",
            ordered_by=session.nurse,
        )
    note = session_note_sign(
        actor=acting(session.nurse),
        note=session_note_draft(actor=acting(session.nurse), session=session),
        password=PASSWORD,
    )
    for n in range(size):
        session_note_amend(
            actor=acting(session.nurse), note=note, text=f"Addition {n}", reason="Omitted", password=PASSWORD
        )
    url = reverse("sessions:flowsheet", kwargs={"session_id": session.external_id})
    # session, user, roles, the session, readings, doses, events, discharge, amendments, checklist,
    # day-before confirmation, the center's prescribers and nurses for the forms, the center's
    # usable lots, the banner's allergies and open alerts, access entry
    assert queries_for(signed_in(session.nurse), url, django_assert_max_num_queries, 16) == 16


@pytest.mark.django_db
@pytest.mark.parametrize("size", [1, 6])
def test_the_chair_board_costs_the_same_however_many_chairs_are_busy(
    django_assert_max_num_queries,
    center,
    session,
    size,
):
    for _n in range(size - 1):
        plan = StandInPlanFactory(patient__center=center, signer=session.nurse)
        busy = TreatmentSessionFactory(plan=plan, chair=ChairFactory(room=session.chair.room), nurse=session.nurse)
        vital_sign_record(actor=acting(session.nurse), session=busy, values={"systolic_mmhg": 190})
    # session, user, roles, occupied sessions, their readings, their doses, access entry
    assert queries_for(signed_in(session.nurse), reverse("sessions:board"), django_assert_max_num_queries, 7) == 7


@pytest.mark.django_db
@pytest.mark.parametrize("size", [1, 10])
def test_the_patient_sessions_tab_costs_the_same_however_long_the_series(
    django_assert_max_num_queries,
    center,
    session,
    size,
):
    for n in range(1, size):
        TreatmentSessionFactory(
            plan=session.plan,
            chair=session.chair,
            nurse=session.nurse,
            number_in_series=n + 1,
            starts_at=timezone.now() + dt.timedelta(days=3 * n),
        )
    url = reverse("sessions:patient", kwargs={"patient_id": session.patient.external_id})
    count = queries_for(signed_in(session.nurse), url, django_assert_max_num_queries, 30)
    assert count == SESSIONS_TAB_QUERIES


SESSIONS_TAB_QUERIES = 12
