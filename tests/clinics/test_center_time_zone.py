"""Pages show the active center's clock, whatever the server's own time zone."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse

from ketaclinic.sessions.services.flowsheet import vital_sign_record
from tests.steps import acting, signed_in


@pytest.mark.django_db
def test_the_flowsheet_shows_readings_in_the_centers_time_zone(center, session):
    center.time_zone = "America/New_York"
    center.save()
    taken = session.starts_at.astimezone(dt.UTC).replace(second=0, microsecond=0)
    vital_sign_record(actor=acting(session.nurse), session=session, values={"heart_rate_bpm": 71}, measured_at=taken)
    page = signed_in(session.nurse).get(reverse("sessions:flowsheet", kwargs={"session_id": session.external_id}))
    body = page.content.decode()
    new_york = taken.astimezone(center.zone)
    assert f"<td>{new_york:%H:%M}</td>" in body  # three hours ahead of Los Angeles
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


LOS_ANGELES = zoneinfo.ZoneInfo("America/Los_Angeles")


def at_center(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LOS_ANGELES)


def test_a_time_charted_after_midnight_is_yesterdays():
    from ketaclinic.clinics.models import TreatmentCenter

    center = TreatmentCenter(time_zone="America/Los_Angeles")
    now = at_center(2026, 11, 26, 0, 5)
    assert center.latest_at(dt.time(23, 58), now=now) == at_center(2026, 11, 25, 23, 58)
    assert center.latest_at(dt.time(0, 1), now=now) == at_center(2026, 11, 26, 0, 1)


def test_on_the_night_the_clocks_go_back_the_latest_past_reading_is_taken():
    from ketaclinic.clinics.models import TreatmentCenter

    center = TreatmentCenter(time_zone="America/Los_Angeles")
    # 2026-11-01: 01:00-02:00 happens twice. It is 01:40 on the second pass (PST, 09:40 UTC).
    now = dt.datetime(2026, 11, 1, 9, 40, tzinfo=dt.UTC)
    charted = center.latest_at(dt.time(1, 35), now=now)
    assert charted is not None and charted.astimezone(dt.UTC) == dt.datetime(2026, 11, 1, 9, 35, tzinfo=dt.UTC)


def test_a_time_the_clocks_skip_is_refused():
    from ketaclinic.clinics.models import TreatmentCenter

    center = TreatmentCenter(time_zone="America/Los_Angeles")
    # 2026-03-08: 02:00-03:00 does not happen.
    assert center.latest_at(dt.time(2, 30), now=at_center(2026, 3, 8, 4, 0)) is None
