"""A clinical row and its audit entry commit together: when the entry cannot be written, neither is kept."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from ketaclinic.audit.models import AuditEntry
from ketaclinic.audit.records import ChangeAuthor
from ketaclinic.audit.services import (
    EntryFacts,
    audit_bulk_created_record,
    audit_change_record,
    audit_entries_write,
    audit_entry_build,
    audit_event_alone,
    audit_event_record,
)
from ketaclinic.core.permissions import Role
from ketaclinic.core.tokens import token_digest
from ketaclinic.patients.models import Allergy
from ketaclinic.patients.services.allergies import allergy_record
from ketaclinic.sessions.models import MonitorDevice, VitalSign
from ketaclinic.sessions.services.flowsheet import vital_sign_record
from ketaclinic.sessions.services.ingestion import vital_signs_ingest
from tests.factories import PatientFactory, StaffFactory
from tests.steps import acting

TABLE = connection.ops.quote_name(AuditEntry._meta.db_table)
TRIGGER = "audit_entry_injected_failure"


@contextmanager
def audit_inserts_fail() -> Iterator[None]:
    """A real database error at the audit insert: a trigger refuses every new entry until dropped."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"CREATE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'injected'; END $$"
            )
            cursor.execute(
                f"CREATE TRIGGER {TRIGGER} BEFORE INSERT ON {TABLE} FOR EACH ROW EXECUTE FUNCTION {TRIGGER}()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER {TRIGGER} BEFORE INSERT ON {TABLE} BEGIN SELECT RAISE(ABORT, 'injected'); END"
            )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER {TRIGGER} ON {TABLE}")
                cursor.execute(f"DROP FUNCTION {TRIGGER}()")
            else:
                cursor.execute(f"DROP TRIGGER {TRIGGER}")


def monitor_batch(session: Any) -> list[dict[str, Any]]:
    """Three pre-dose readings as a monitor sends them, minutes before the session starts."""
    return [
        {
            "idempotency_key": f"chair-1a-{n}",
            "measured_at": session.starts_at - dt.timedelta(minutes=3 - n),
            "systolic_mmhg": 128 + n,
            "diastolic_mmhg": 80,
            "heart_rate_bpm": 72,
            "spo2_percent": 98,
        }
        for n in range(3)
    ]


@pytest.fixture
def device(center: Any) -> MonitorDevice:
    return MonitorDevice.objects.create(center=center, label="Chair 1A monitor", token_hash=token_digest("t" * 32))


@pytest.mark.django_db(transaction=True)
def test_a_hand_entered_reading_is_not_kept_when_its_entry_cannot_be_written(session):
    with audit_inserts_fail(), pytest.raises(DatabaseError):
        vital_sign_record(actor=acting(session.nurse), session=session, values={"heart_rate_bpm": 71})
    assert not VitalSign.objects.filter(session=session).exists()
    assert not AuditEntry.objects.filter(action="vital_sign.recorded").exists()


@pytest.mark.django_db(transaction=True)
def test_a_monitor_batch_is_kept_whole_with_its_entries_or_not_at_all(session, device):
    readings = monitor_batch(session)
    with audit_inserts_fail(), pytest.raises(DatabaseError):
        vital_signs_ingest(device=device, session=session, readings=readings)
    assert not VitalSign.objects.filter(session=session).exists()
    assert not AuditEntry.objects.filter(action="vital_sign.received").exists()

    # The monitor sends the same batch again, with the same keys: every reading is new.
    result = vital_signs_ingest(device=device, session=session, readings=readings)
    assert (result.created, result.duplicates) == (3, 0)
    stored = VitalSign.objects.filter(session=session)
    entries = AuditEntry.objects.filter(action="vital_sign.received", patient=session.patient)
    assert sorted(stored.values_list("idempotency_key", flat=True)) == ["chair-1a-0", "chair-1a-1", "chair-1a-2"]
    assert sorted(entries.values_list("object_id", flat=True)) == sorted(str(s.external_id) for s in stored)

    # Sent a third time, it is all duplicates, and no entry is written twice.
    again = vital_signs_ingest(device=device, session=session, readings=readings)
    assert (again.created, again.duplicates) == (0, 3)
    assert entries.count() == 3


@pytest.mark.django_db(transaction=True)
def test_an_allergy_is_not_kept_when_its_entry_cannot_be_written(center):
    nurse, patient = StaffFactory(center=center, role=Role.NURSE), PatientFactory(center=center)
    with audit_inserts_fail(), pytest.raises(DatabaseError):
        allergy_record(actor=acting(nurse), patient=patient, substance="Penicillin")
    assert not Allergy.objects.filter(patient=patient).exists()
    assert not AuditEntry.objects.filter(action="allergy.recorded").exists()


def _facts(action: str) -> EntryFacts:
    return EntryFacts(kind="security", action=action, actor=None)


@pytest.mark.django_db(transaction=True)
def test_an_audit_write_outside_a_transaction_is_refused_and_names_the_action(patient):
    with pytest.raises(RuntimeError, match=re.escape("test.unwrapped_event")):
        audit_event_record(_facts("test.unwrapped_event"))
    with pytest.raises(RuntimeError, match=re.escape("test.unwrapped_change")):
        audit_change_record(actor=None, instance=patient, action="test.unwrapped_change", changes={})
    with pytest.raises(RuntimeError, match=re.escape("test.unwrapped_entries")):
        audit_entries_write([audit_entry_build(_facts("test.unwrapped_entries"))])
    with pytest.raises(RuntimeError, match="allergy"):
        audit_bulk_created_record(
            author=ChangeAuthor(actor=None, label="import"), instances=[Allergy(patient=patient, substance="Latex")]
        )
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_the_test_cases_own_transaction_does_not_count_as_the_services():
    with pytest.raises(RuntimeError, match=re.escape("test.inside_the_test_case")):
        audit_event_record(_facts("test.inside_the_test_case"))
    with transaction.atomic():
        audit_event_record(_facts("test.inside_a_service_transaction"))
    audit_event_alone(_facts("test.standing_alone"))
    assert set(AuditEntry.objects.values_list("action", flat=True)) == {
        "test.inside_a_service_transaction",
        "test.standing_alone",
    }
