"""The demo's sessions: a clinic day in the centers' hours; they fill the day list, board, REMS queue, flowsheet."""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from ketaclinic.accounts.models import User
from ketaclinic.clinics.models import OpeningHours
from ketaclinic.demo.network import demo_network_build, demo_patients_build
from ketaclinic.demo.sessions import demo_sessions_build
from ketaclinic.sessions.models import (
    DoseAdministration,
    RemsMonitoringForm,
    SessionEvent,
    SessionNote,
    TreatmentSession,
    VitalSign,
)
from tests.steps import signed_in

PACIFIC = zoneinfo.ZoneInfo("America/Los_Angeles")
# A Thursday lunchtime: the centers are open (8:00 to 18:00), with the morning behind them.
THURSDAY_NOON = dt.datetime(2026, 12, 3, 12, 40, tzinfo=PACIFIC)


def _demo_built():  # type: ignore[no-untyped-def]
    centers = demo_network_build()
    demo_patients_build(centers=centers, count=80, seed=1)
    made = demo_sessions_build(centers=centers, seed=1)
    return centers, made


@pytest.fixture
def demo(db):  # type: ignore[no-untyped-def]
    with time_machine.travel(THURSDAY_NOON, tick=True):
        yield _demo_built()


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


def _local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(PACIFIC)


@pytest.mark.parametrize(
    ("clock", "day_shown", "started"),
    [
        # 01:00 on a Thursday: the clinic opens later today; nothing of today has happened yet.
        (dt.datetime(2026, 12, 3, 1, 0, tzinfo=PACIFIC), dt.date(2026, 12, 3), 0),
        # 08:20: the first session of the day is under way.
        (dt.datetime(2026, 12, 3, 8, 20, tzinfo=PACIFIC), dt.date(2026, 12, 3), 1),
        # 23:30 on a Saturday (open 9:00 to 14:00): the day is over and every session is done.
        (dt.datetime(2026, 12, 5, 23, 30, tzinfo=PACIFIC), dt.date(2026, 12, 5), 4),
        # 01:30 PDT on Sunday 1 November 2026, the hour that happens twice: Saturday's hours.
        (dt.datetime(2026, 11, 1, 1, 30, tzinfo=dt.timezone(dt.timedelta(hours=-7))), dt.date(2026, 10, 31), 4),
    ],
)
def test_the_demo_day_lies_in_the_opening_hours_at_any_hour(db, clock, day_shown, started):  # type: ignore[no-untyped-def]
    """Sessions fall inside their center's hours; nothing is recorded after now; no dose runs while closed."""
    with time_machine.travel(clock, tick=True):
        centers, made = _demo_built()
        now = timezone.now()
    assert made == 18
    hours = {(h.center_id, h.weekday): (h.opens_at, h.closes_at) for h in OpeningHours.objects.all()}
    for session in TreatmentSession.objects.select_related("chair__room"):
        start, end = _local(session.starts_at), _local(session.ends_at)
        opens, closes = hours[(session.chair.room.center_id, start.weekday())]
        assert start.date() == end.date() and opens <= start.time() and end.time() <= closes, session
    beach_today = TreatmentSession.objects.filter(
        patient__center=centers[0], starts_at__date=day_shown, number_in_series=1, plan__route="iv"
    )
    assert beach_today.count() == 4
    assert beach_today.filter(doses__isnull=False).count() == started
    assert not DoseAdministration.objects.filter(started_at__gt=now).exists()
    assert not VitalSign.objects.filter(measured_at__gt=now).exists()
    assert not SessionEvent.objects.filter(occurred_at__gt=now).exists()
    assert not SessionNote.objects.filter(signed_at__gt=now).exists()
    local_now = _local(now)
    open_now = hours.get((centers[0].pk, local_now.weekday()))
    if open_now is None or not open_now[0] <= local_now.time() < open_now[1]:
        assert not DoseAdministration.objects.filter(status="running").exists()
