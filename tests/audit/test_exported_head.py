"""A chain cut off at its tail, with its head wound back to match, is caught against a head kept outside."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from ketaclinic.audit.models import AuditChain, AuditEntry
from ketaclinic.audit.services import EntryFacts, audit_event_alone, audit_seal_all
from ketaclinic.audit.verification import audit_chain_verify

TABLE = connection.ops.quote_name(AuditEntry._meta.db_table)


def entries(count: int) -> None:
    for n in range(count):
        audit_event_alone(EntryFacts(kind="security", action=f"test.event_{n}", actor=None))


def head_exported(tmp_path):  # type: ignore[no-untyped-def]
    out = io.StringIO()
    call_command("export_audit_head", stdout=out)
    path = tmp_path / "audit-head.json"
    path.write_text(out.getvalue())
    return path


def cut_tail_and_wind_back_head(keep: int) -> None:
    """What an administrator could do: remove the newest entries and set the head row to match."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER audit_entry_append_only ON {TABLE}")
        cursor.execute(f"DELETE FROM {TABLE} WHERE seq > %s", [keep])
    last = AuditEntry.objects.get(seq=keep)
    AuditChain.objects.update(last_seq=keep, last_mac=last.chain_mac)


@pytest.mark.django_db
def test_the_exported_head_is_signed_json_of_the_last_sealed_entry(tmp_path):
    entries(3)
    audit_seal_all()
    note = json.loads(head_exported(tmp_path).read_text())
    assert (note["seq"], note["mac"]) == (3, AuditEntry.objects.get(seq=3).chain_mac)
    assert note["at"] and note["key_id"] and len(note["signature"]) == 64


@pytest.mark.django_db
def test_a_chain_that_reaches_the_exported_head_verifies(tmp_path, capsys):
    entries(3)
    audit_seal_all()
    path = head_exported(tmp_path)
    entries(2)
    call_command("verify_audit", "--seal", "--head", str(path))
    assert "Audit chain intact: 5 sealed entries" in capsys.readouterr().out


@pytest.mark.django_db
def test_a_cut_tail_with_the_head_wound_back_is_caught_only_against_the_exported_head(tmp_path):
    entries(5)
    audit_seal_all()
    path = head_exported(tmp_path)
    cut_tail_and_wind_back_head(keep=3)

    assert audit_chain_verify().is_intact  # inside the database everything agrees
    with pytest.raises(CommandError, match="exported head is entry 5 but the chain ends at 3: its tail was cut off"):
        call_command("verify_audit", "--head", str(path))


@pytest.mark.django_db
def test_a_head_note_edited_to_match_a_cut_chain_is_refused(tmp_path):
    entries(5)
    audit_seal_all()
    path = head_exported(tmp_path)
    cut_tail_and_wind_back_head(keep=3)
    note = json.loads(path.read_text())
    note.update(seq=3, mac=AuditEntry.objects.get(seq=3).chain_mac)
    path.write_text(json.dumps(note))
    with pytest.raises(CommandError, match="signature does not hold"):
        call_command("verify_audit", "--head", str(path))
