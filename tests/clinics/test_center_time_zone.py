"""Pages show the active center's clock, whatever the server's own time zone."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse

from ketaclinic.sessions.flowsheet import vital_sign_record
from tests.conftest import signed_in
from tests.sessions.test_device_api import session  # noqa: F401 - the fixture


@pytest.mark.django_db
def test_the_flowsheet_shows_readings_in_the_centers_time_zone(center, session):  # noqa: F811
    center.time_zone = "America/New_York"
    center.save()
    taken = dt.datetime.now(dt.UTC).replace(hour=15, minute=7, second=0, microsecond=0)
    if taken > dt.datetime.now(dt.UTC):
        taken -= dt.timedelta(days=1)
    vital_sign_record(actor=session.nurse, session=session, values={"heart_rate_bpm": 71}, measured_at=taken)
    page = signed_in(session.nurse).get(reverse("sessions:flowsheet", kwargs={"session_id": session.external_id}))
    body = page.content.decode()
    new_york = taken.astimezone(center.zone)
    assert f"<td>{new_york:%H:%M}</td>" in body  # 10:07 or 11:07 by the season
    assert f"<td>{taken.astimezone(zoneinfo.ZoneInfo('America/Los_Angeles')):%H:%M}</td>" not in body


def test_a_centers_local_date_is_its_own():
    from ketaclinic.clinics.models import TreatmentCenter

    late_evening_in_los_angeles = dt.datetime(2026, 11, 26, 7, 30, tzinfo=dt.UTC)  # 23:30 on the 25th there
    assert TreatmentCenter(time_zone="America/Los_Angeles").local_date(late_evening_in_los_angeles) == dt.date(
        2026, 11, 25
    )
    assert TreatmentCenter(time_zone="America/New_York").local_date(late_evening_in_los_angeles) == dt.date(
        2026, 11, 26
    )
