"""Tamper with the audit table as a database administrator could, and show each attempt caught.

Usage: DATABASE_URL=... .venv/bin/python bench/audit_tamper.py
Without DATABASE_URL each case runs on a fresh SQLite file; with a PostgreSQL URL give an empty
database per run (the cases share it, so run one case at a time: audit_tamper.py CASE).
For each case: a plain DELETE or UPDATE is tried first (the triggers should refuse it), then
the attacker drops the trigger, tampers, and ``verify_audit --head`` (against a head exported
before the tampering, as kept in write-once storage) must report it. Prints a table.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

CASES = ("untouched", "edit", "delete_sealed", "delete_unsealed", "cut_tail")


def parent() -> None:
    rows = []
    for case in CASES:
        env = dict(os.environ)
        env.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp()}/tamper.sqlite3")
        done = subprocess.run([sys.executable, __file__, case], env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            rows.append({"case": case, "refused": "-", "verdict": "ERROR", "said": done.stderr.strip()[-200:]})
            continue
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"{'case':<16} {'plain write':<12} {'verify_audit':<13} what it said")
    for row in rows:
        print(f"{row['case']:<16} {row['refused']:<12} {row['verdict']:<13} {row['said'][:110]}")
    expected = {"untouched": "intact"}
    ok = all(row["verdict"] == expected.get(row["case"], "DETECTED") for row in rows)
    print("VERDICT:", "every tampering detected" if ok else "NOT every tampering detected")
    sys.exit(0 if ok else 1)


def child(case: str) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketaclinic.settings")
    import django

    django.setup()
    from django.core.management import CommandError, call_command
    from django.db import DatabaseError, connection, transaction

    from ketaclinic.audit.models import AuditChain, AuditEntry
    from ketaclinic.audit.services import EntryFacts, audit_event_alone, audit_seal_all

    call_command("migrate", verbosity=0)
    table = connection.ops.quote_name(AuditEntry._meta.db_table)

    def entries(count: int) -> list[AuditEntry]:
        return [
            audit_event_alone(EntryFacts(kind="security", action=f"bench.event_{n}", actor=None)) for n in range(count)
        ]

    def plain(sql: str, params: list[object]) -> str:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, params)
        except DatabaseError:
            return "refused"
        return "ALLOWED"

    def drop_guards() -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS audit_entry_append_only ON {table}")
            else:
                cursor.execute("DROP TRIGGER IF EXISTS audit_entry_append_only_update")
                cursor.execute("DROP TRIGGER IF EXISTS audit_entry_append_only_delete")

    entries(6)
    audit_seal_all()
    out = io.StringIO()
    call_command("export_audit_head", stdout=out)
    head = Path(tempfile.mkdtemp()) / "head.json"
    head.write_text(out.getvalue())
    waiting = entries(3)  # not yet sealed: the window the sealing worker closes
    refused = "-"
    if case == "edit":
        refused = plain(f"UPDATE {table} SET action = 'bench.innocent' WHERE seq = 3", [])  # noqa: S608
        drop_guards()
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET action = 'bench.innocent' WHERE seq = 3")  # noqa: S608
    elif case == "delete_sealed":
        refused = plain(f"DELETE FROM {table} WHERE seq = 3", [])  # noqa: S608
        drop_guards()
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE seq = 3")  # noqa: S608
    elif case == "delete_unsealed":
        refused = plain(f"DELETE FROM {table} WHERE id = %s", [waiting[1].pk])  # noqa: S608
        drop_guards()
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE id = %s", [waiting[1].pk])  # noqa: S608
    elif case == "cut_tail":
        # Everything after entry 4, sealed or waiting: no hole is left in the ids, only the
        # head exported before the cut shows it.
        refused = plain(f"DELETE FROM {table} WHERE seq > 4 OR seq IS NULL", [])  # noqa: S608
        drop_guards()
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE seq > 4 OR seq IS NULL")  # noqa: S608
        AuditChain.objects.update(last_seq=4, last_mac=AuditEntry.objects.get(seq=4).chain_mac)
    try:
        said = io.StringIO()
        call_command("verify_audit", "--head", str(head), stdout=said, stderr=io.StringIO())
        verdict, message = "intact", said.getvalue().strip()
    except CommandError as error:
        verdict, message = "DETECTED", str(error)
    print(json.dumps({"case": case, "refused": refused, "verdict": verdict, "said": message}))


if __name__ == "__main__":
    if len(sys.argv) > 1:
        child(sys.argv[1])
    else:
        parent()
