"""The audit trail is append-only and tamper-evident."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from ketaclinic.audit.models import AuditChain, AuditEntry
from ketaclinic.audit.records import ChangeAuthor, HistoryBypassed
from ketaclinic.audit.services import EntryFacts, audit_event_alone, audit_seal, audit_seal_all
from ketaclinic.audit.verification import audit_chain_verify
from ketaclinic.patients.models import Allergy, Patient

TABLE = AuditEntry._meta.db_table


def entries(count: int, actor=None) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    return [audit_event_alone(EntryFacts(kind="security", action=f"test.event_{n}", actor=actor)) for n in range(count)]


def drop_append_only_trigger() -> None:
    """Play an attacker with database access: take the guard off first."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER audit_entry_append_only ON {TABLE}")
        else:
            cursor.execute("DROP TRIGGER audit_entry_append_only_update")


@pytest.mark.django_db
def test_sealing_numbers_entries_in_order_and_links_them():
    made = entries(5)
    assert audit_seal() == 5
    sealed = list(AuditEntry.objects.order_by("seq"))
    assert [e.seq for e in sealed] == [1, 2, 3, 4, 5]
    assert [e.entry_id for e in sealed] == [e.entry_id for e in made]
    head = AuditChain.objects.get()
    assert (head.last_seq, head.last_mac) == (5, sealed[-1].chain_mac)
    report = audit_chain_verify()
    assert report.is_intact
    assert report.sealed == 5
    assert report.unsealed == 0


@pytest.mark.django_db
def test_verify_names_the_first_altered_entry():
    entries(6)
    audit_seal_all()
    drop_append_only_trigger()
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET action = 'test.innocent' WHERE seq = 3")
        cursor.execute(f"UPDATE {TABLE} SET actor_label = 'someone-else' WHERE seq = 5")
    report = audit_chain_verify()
    assert report.broken is not None
    assert report.broken.seq == 3
    assert "altered" in report.broken.problem
    with pytest.raises(CommandError, match="BROKEN at entry 3"):
        call_command("verify_audit")


@pytest.mark.django_db
def test_verify_reports_a_removed_entry():
    entries(4)
    audit_seal_all()
    drop_append_only_trigger()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE seq = 2")
    report = audit_chain_verify()
    assert report.broken is not None
    assert report.broken.seq == 2
    assert "missing" in report.broken.problem


@pytest.mark.django_db
def test_verify_reports_a_cut_off_tail():
    entries(4)
    audit_seal_all()
    drop_append_only_trigger()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE seq = 4")
    report = audit_chain_verify()
    assert report.broken is not None
    assert "missing" in report.broken.problem


@pytest.mark.django_db
def test_a_recomputed_chain_without_the_key_does_not_verify(settings):
    """Rewriting history needs the key: a chain recomputed with another key is caught."""
    entries(3)
    audit_seal_all()
    settings.KETACLINIC_AUDIT_KEYS = {settings.KETACLINIC_AUDIT_ACTIVE_KEY_ID: "a-key-the-attacker-guessed-0000000000"}
    report = audit_chain_verify()
    assert report.broken is not None
    assert report.broken.seq == 1


@pytest.mark.django_db
def test_an_altered_unsealed_entry_is_caught():
    drop_append_only_trigger()
    (entry,) = entries(1)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET reason = 'changed' WHERE id = %s", [entry.pk])
    report = audit_chain_verify()
    assert report.broken is not None
    assert report.broken.entry_id == str(entry.entry_id)


@pytest.mark.django_db
def test_the_database_refuses_to_change_a_sealed_entry():
    entries(1)
    audit_seal_all()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET action = 'x'")
    assert AuditEntry.objects.get().action == "test.event_0"


@pytest.mark.django_db
def test_the_database_refuses_to_change_an_unsealed_entrys_content():
    entries(1)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET actor_label = 'x'")


@pytest.mark.django_db
def test_a_raw_delete_is_refused_on_postgresql_and_reported_on_sqlite():
    """PostgreSQL's trigger refuses DELETE; SQLite keeps DELETE open for Django's test flush,
    so there the chain must report the gap instead."""
    entries(2)
    audit_seal_all()
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {TABLE} WHERE seq = 1")
        assert AuditEntry.objects.count() == 2
        assert audit_chain_verify().is_intact
    else:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {TABLE} WHERE seq = 1")
        report = audit_chain_verify()
        assert report.broken is not None
        assert report.broken.seq == 1


@pytest.mark.django_db
def test_the_orm_refuses_bulk_changes_and_deletes_of_audit_entries():
    (entry,) = entries(1)
    with pytest.raises(HistoryBypassed):
        AuditEntry.objects.update(action="x")
    with pytest.raises(HistoryBypassed):
        AuditEntry.objects.all().delete()
    with pytest.raises(HistoryBypassed):
        entry.delete()


@pytest.mark.django_db
def test_clinical_rows_cannot_be_changed_in_bulk_or_deleted(patient):
    with pytest.raises(HistoryBypassed):
        Patient.objects.filter(pk=patient.pk).update(given_name="Changed")
    with pytest.raises(HistoryBypassed):
        Patient.objects.bulk_update([patient], ["given_name"])
    with pytest.raises(HistoryBypassed):
        Patient.objects.filter(pk=patient.pk).delete()
    with pytest.raises(HistoryBypassed):
        patient.delete()
    with pytest.raises(HistoryBypassed):
        Allergy.objects.bulk_create([Allergy(patient=patient, substance="Latex")])
    patient.refresh_from_db()
    assert patient.given_name == "Ana"
    assert not Allergy.objects.exists()


@pytest.mark.django_db
def test_bulk_create_with_an_author_records_one_history_entry_per_row(patient):
    author = ChangeAuthor(actor=None, label="import", reason="migration from paper charts")
    made = Allergy.objects.bulk_create(
        [Allergy(patient=patient, substance="Latex"), Allergy(patient=patient, substance="Codeine")], recorded_by=author
    )
    history = AuditEntry.objects.filter(action="allergy.created").order_by("id")
    assert [e.object_id for e in history] == [str(a.external_id) for a in made]
    assert {e.actor_label for e in history} == {"import"}
    assert history[0].changes["substance"] == [None, "Latex"]
    assert all(e.patient_id == patient.pk for e in history)


@pytest.mark.django_db(transaction=True)
def test_entries_wait_for_the_sealing_worker_after_the_writing_transaction_commits():
    with transaction.atomic():
        entries(2)
        assert AuditEntry.objects.filter(seq__isnull=True).count() == 2
    assert AuditEntry.objects.filter(seq__isnull=True).count() == 2
    call_command("seal_audit")
    assert not AuditEntry.objects.filter(seq__isnull=True).exists()
    assert audit_chain_verify().is_intact


@pytest.mark.django_db
def test_verify_audit_command_reports_an_intact_chain(capsys):
    entries(3)
    call_command("verify_audit", "--seal")
    assert "Audit chain intact: 3 sealed entries" in capsys.readouterr().out
