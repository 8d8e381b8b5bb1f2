"""Run by tests/test_test_clock.py in a pytest of its own, with KETACLINIC_TEST_CLOCK set."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import time_machine
from django.utils import timezone

# The fall-back hour: 01:30 happens twice that night; -07:00 names the first (PDT) one.
FALL_BACK = "2026-11-01T01:30-07:00"


def test_probe_sees_the_started_clock() -> None:
    started = dt.datetime.fromisoformat(FALL_BACK)
    now = timezone.now()
    assert started <= now <= started + dt.timedelta(minutes=10)
    local = timezone.localtime(now)
    assert (local.hour, local.utcoffset()) == (1, dt.timedelta(hours=-7))
    # A test that travels itself still can, and comes back to the started clock afterwards.
    with time_machine.travel(dt.datetime(2026, 6, 1, 12, tzinfo=zoneinfo.ZoneInfo("UTC")), tick=False):
        assert timezone.now().month == 6
    assert started <= timezone.now() <= started + dt.timedelta(minutes=10)
