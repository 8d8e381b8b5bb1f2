from __future__ import annotations

import os

os.environ.setdefault("KETACLINIC_PLAIN_STATIC", "1")

import pytest
from django.test import Client

from ketaclinic.core.permissions import Role
from ketaclinic.measures.text_messages import MemoryTextMessageBackend
from tests.factories import PatientFactory, StaffFactory, TreatmentCenterFactory


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
    settings.KETACLINIC_SMS_BACKEND = "ketaclinic.measures.text_messages.MemoryTextMessageBackend"
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


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client(HTTP_USER_AGENT="pytest-client/1.0")
    client.force_login(user)
    return client
