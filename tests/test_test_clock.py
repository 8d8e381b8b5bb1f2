"""KETACLINIC_TEST_CLOCK starts the whole suite at a chosen moment, as CI's clock matrix does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.clock_probe import FALL_BACK

# Not a test_*.py file, so the suite never collects it; only the runs below do, by its path.
PROBE = Path(__file__).resolve().parent / "clock_probe.py"


def _pytest_probe(clock: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", str(PROBE)],
        cwd=Path(__file__).resolve().parent.parent,
        env=os.environ | {"KETACLINIC_TEST_CLOCK": clock},
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
