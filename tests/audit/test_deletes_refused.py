"""No audit entry can be deleted, sealed or waiting to be sealed; a removal that gets round it is reported."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import import_module

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from ketaclinic.audit.guard import EntryRemoval
from ketaclinic.audit.models import AuditEntry
from ketaclinic.audit.services import EntryFacts, audit_event_alone, audit_seal_all
from ketaclinic.audit.verification import audit_removed_entries

TABLE = connection.ops.quote_name(AuditEntry._meta.db_table)


@pytest.fixture
def removal_refused() -> Iterator[None]:
    """As in production: nothing in this process allows removing entries."""
    EntryRemoval.allowed = False
    yield
    EntryRemoval.allowed = True


def entries(count: int) -> list[AuditEntry]:
    return [audit_event_alone(EntryFacts(kind="security", action=f"test.event_{n}", actor=None)) for n in range(count)]


def delete_raw(pk: int) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [pk])


@pytest.mark.django_db
@pytest.mark.usefixtures("removal_refused")
def test_a_plain_delete_of_a_sealed_entry_is_refused():
    made = entries(3)
    audit_seal_all()
    with pytest.raises(DatabaseError, match="append-only"):
        delete_raw(made[1].pk)
    assert AuditEntry.objects.count() == 3


@pytest.mark.django_db
@pytest.mark.usefixtures("removal_refused")
def test_a_plain_delete_of_an_unsealed_entry_is_refused():
    made = entries(3)
    assert AuditEntry.objects.filter(seq__isnull=True).count() == 3
    with pytest.raises(DatabaseError, match="append-only"):
        delete_raw(made[1].pk)
    assert AuditEntry.objects.count() == 3


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL ids skip on rollback")
def test_an_unsealed_entry_removed_round_the_trigger_is_reported(capsys):
    made = entries(4)
    audit_seal_all()
    waiting = entries(3)
    assert audit_removed_entries() == []
    # An administrator takes the guard off, deletes an entry not yet sealed, and puts it back.
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER audit_entry_append_only_delete")
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [waiting[1].pk])
        cursor.execute(import_module("ketaclinic.audit.migrations.0003_refuse_deletes").SQLITE_DELETE)

    assert audit_removed_entries() == [waiting[1].pk]
    assert made[0].pk < waiting[1].pk
    with pytest.raises(CommandError, match=f"REMOVED: no entry with id {waiting[1].pk}"):
        call_command("verify_audit", "--seal")
