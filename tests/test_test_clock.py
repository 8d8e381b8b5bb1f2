"""KETACLINIC_TEST_CLOCK starts the whole suite at a chosen moment, as CI's clock matrix does."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import zoneinfo
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

PROBE = "KETACLINIC_TEST_CLOCK_PROBE"
# The fall-back hour: 01:30 happens twice that night; -07:00 names the first (PDT) one.
FALL_BACK = "2026-11-01T01:30-07:00"


@pytest.mark.skipif(not os.environ.get(PROBE), reason="run by the test below, in a pytest of its own")
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


def _pytest_probe(clock: str) -> subprocess.CompletedProcess[str]:
    probe = f"{__file__}::{test_probe_sees_the_started_clock.__name__}"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", probe],
        cwd=Path(__file__).resolve().parent.parent,
        env=os.environ | {"KETACLINIC_TEST_CLOCK": clock, PROBE: "1"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_test_clock_starts_the_suite_at_the_given_moment() -> None:
    run = _pytest_probe(FALL_BACK)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout
    assert f"KETACLINIC_TEST_CLOCK: clock started at {FALL_BACK}" in run.stdout


def test_test_clock_without_an_offset_is_refused() -> None:
    run = _pytest_probe("2026-11-01T01:30")
    assert run.returncode != 0
    assert "needs a UTC offset" in run.stdout + run.stderr
