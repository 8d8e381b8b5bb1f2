from __future__ import annotations

import datetime as dt
import os

os.environ.setdefault("KETACLINIC_PLAIN_STATIC", "1")

import pytest
import time_machine
from django.utils import timezone
from hypothesis import settings as hypothesis_settings

from ketaclinic.core.permissions import Role
from ketaclinic.intake.models import Consultation
from ketaclinic.messaging.sending import MemoryTextMessageBackend
from ketaclinic.sessions.models import RemsEnrollment
from tests.factories import (
    PatientFactory,
    StaffFactory,
    TreatmentCenterFactory,
)
from tests.sessions.steps import esketamine_session, record_a_session, signed_iv_session

# Property tests check results, not speed (timings live in bench/): Hypothesis's 200 ms deadline
# per example failed on a loaded two-core machine for no fault of the code.
hypothesis_settings.register_profile("ketaclinic", deadline=None)
hypothesis_settings.load_profile("ketaclinic")

# CI runs the suite with the clock started at a few awkward moments (night, noon, late evening,
# the DST changes), so a test that only passes at certain hours fails there and not some night.
# An ISO-8601 moment with its UTC offset, e.g. KETACLINIC_TEST_CLOCK=2026-12-03T01:00-08:00.
TEST_CLOCK = "KETACLINIC_TEST_CLOCK"
_clock: time_machine.travel | None = None


def _test_clock_start(value: str) -> dt.datetime:
    """Parse a KETACLINIC_TEST_CLOCK value; it must name its UTC offset."""
    moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise pytest.UsageError(f"{TEST_CLOCK}={value} needs a UTC offset, e.g. 2026-12-03T01:00-08:00")
    return moment


def pytest_configure(config: pytest.Config) -> None:
    global _clock
    # Transactional tests are followed by a flush that empties every table with DELETE; the
    # audit table's SQLite delete trigger lets only that through (ketaclinic.audit.guard).
    from ketaclinic.audit.guard import EntryRemoval

    EntryRemoval.allowed = True
    value = os.environ.get(TEST_CLOCK, "").strip()
    if value:
        # Started before collection, so module-level times see it too. The clock ticks on from
        # there; tests that travel themselves nest inside it.
        _clock = time_machine.travel(_test_clock_start(value), tick=True)
        _clock.start()


def pytest_unconfigure(config: pytest.Config) -> None:
    global _clock
    if _clock is not None:
        _clock.stop()
        _clock = None


def pytest_report_header(config: pytest.Config) -> str | None:
    value = os.environ.get(TEST_CLOCK, "").strip()
    return f"{TEST_CLOCK}: clock started at {value}" if value else None


@pytest.fixture(autouse=True)
def _fast_and_quiet(settings):  # type: ignore[no-untyped-def]
    # WhiteNoise warns on every first request when collectstatic has never run.
    settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    settings.AXES_ENABLED = True
    # Tasks run in-process, at once; tests of the database worker switch back to it.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.KETACLINIC_SMS_BACKEND = "ketaclinic.messaging.sending.MemoryTextMessageBackend"
    MemoryTextMessageBackend.outbox.clear()


@pytest.fixture
def center(db):  # type: ignore[no-untyped-def]
    return TreatmentCenterFactory()


@pytest.fixture
def other_center(center):  # type: ignore[no-untyped-def]
    """A second center of the same organization, where the staff under test hold no role."""
    return TreatmentCenterFactory(organization=center.organization)


@pytest.fixture
def nurse(center):  # type: ignore[no-untyped-def]
    return StaffFactory(center=center, role=Role.NURSE)


@pytest.fixture
def patient(center):  # type: ignore[no-untyped-def]
    return PatientFactory(center=center)


@pytest.fixture
def session(center):  # type: ignore[no-untyped-def]
    """Today's first IV session of a signed plan, booked now, its prescriber also the nurse in charge."""
    prescriber = StaffFactory(center=center, role=Role.PRESCRIBER, with_password=True)
    return signed_iv_session(prescriber, PatientFactory(center=center), starts_at=timezone.now())


@pytest.fixture
def rems_nurse(center):  # type: ignore[no-untyped-def]
    return StaffFactory(
        center=center,
        role=Role.NURSE,
        with_password=True,
        first_name="Dana",
        last_name="Okafor",
        email="dana@example.org",
    )


@pytest.fixture
def recorded(center, rems_nurse):  # type: ignore[no-untyped-def]
    """A completed esketamine session two days ago, its REMS enrollment and consultation on file."""
    patient = PatientFactory(center=center, given_name="Marisol", family_name="Quintero", middle_name="")
    session = esketamine_session(center=center, nurse=rems_nurse, patient=patient)
    record_a_session(session, verifier=StaffFactory(center=center, role=Role.NURSE))
    RemsEnrollment.objects.create(
        patient=patient, enrollment_reference="PT-4471", enrolled_on=session.starts_at.date() - dt.timedelta(days=30),
        recorded_by=rems_nurse, recorded_at=timezone.now(),
    )  # fmt: skip
    Consultation.objects.create(
        patient=patient, prescriber=StaffFactory(center=center, role=Role.PRESCRIBER), started_at=timezone.now(),
        status=Consultation.Status.SIGNED, medication_classes=["benzodiazepine"], are_medications_reconciled=True,
    )  # fmt: skip
    session.refresh_from_db()
    return session
