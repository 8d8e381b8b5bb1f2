"""The demo's sessions: built around now, they fill the day list, board, REMS queue and flowsheet."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from ketaclinic.accounts.models import User
from ketaclinic.clinics.demo import demo_network_build, demo_patients_build
from ketaclinic.sessions.demo import demo_sessions_build
from ketaclinic.sessions.models import DoseAdministration, RemsMonitoringForm, SessionNote, TreatmentSession
from tests.conftest import signed_in


@pytest.fixture
def demo(db):  # type: ignore[no-untyped-def]
    centers = demo_network_build()
    demo_patients_build(centers=centers, count=80, seed=1)
    made = demo_sessions_build(centers=centers, seed=1)
    return centers, made


def test_the_demo_fills_the_day_board_rems_queue_and_flowsheet(demo):  # type: ignore[no-untyped-def]
    centers, made = demo
    assert made == 18  # nine sessions at each of the two centers
    beach = centers[0]
    nurse = signed_in(User.objects.get(username="nurse.beach"))
    sessions = TreatmentSession.objects.filter(patient__center=beach)
    running = DoseAdministration.objects.get(session__patient__center=beach, status="running")
    now = timezone.now()
    # Started 25 minutes before the builder's minute; the build itself takes some seconds.
    assert now - dt.timedelta(minutes=28) <= running.started_at <= now - dt.timedelta(minutes=24)
    assert running.verified_by_id != running.prepared_by_id

    day = nurse.get(reverse("sessions:day")).content.decode()
    assert day.count("flowsheet</a>") == 4  # in the chair, observed, finished, later today
    assert "Completed" in day
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    ahead = nurse.get(reverse("sessions:day"), {"date": tomorrow.isoformat()}).content.decode()
    assert "Patient confirmed fasting and a ride home" in ahead
    assert "no adult to take them home" in ahead and "sister can only pick me up" in ahead
    assert "no answer yet" in ahead

    since = int((timezone.now() - running.started_at).total_seconds() // 60)
    board = nurse.get(reverse("sessions:board")).content.decode()
    assert running.session.patient.display_name in board.replace("&#x27;", "'")
    assert f"{since} min since the dose" in board or f"{since + 1} min since the dose" in board
    assert "1 recent reading with alerts" in board and board.count("since the dose") == 2

    queue = nurse.get(reverse("sessions:rems_queue")).content.decode()
    pending = RemsMonitoringForm.objects.get(session__patient__center=beach, status="draft")
    assert pending.session.patient.mrn in queue and "Draft" in queue
    days_left = (pending.due_on - timezone.localdate()).days
    assert 3 <= days_left <= 5 and f"<td>{days_left}</td>" in queue
    assert RemsMonitoringForm.objects.filter(session__patient__center=beach, status="submitted").count() == 1

    sheet = nurse.get(reverse("sessions:flowsheet", kwargs={"session_id": running.session.external_id}))
    text = sheet.content.decode()
    assert sheet.status_code == 200 and "Pre-session checklist" in text and "passed" in text
    assert "is more than 40 above the baseline" in text and "Resumed" in text
    finished = sessions.get(status="completed", plan__route="iv")
    note = SessionNote.objects.get(session=finished)
    assert note.status == "signed" and "Discharge" in note.text
    dose = finished.doses.get()
    assert dose.wasted_mg == dose.drawn_mg - dose.given_mg and dose.waste_witness_id is not None
    assert (
        nurse.get(reverse("sessions:patient", kwargs={"patient_id": finished.patient.external_id})).status_code == 200
    )

    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert "intact" in out.getvalue()
