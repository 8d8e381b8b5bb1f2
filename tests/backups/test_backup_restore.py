"""A backup restores into an empty database with every row and an intact audit chain."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from ketaclinic.audit.services import audit_seal_all
from ketaclinic.core.permissions import Role
from ketaclinic.patients.services.allergies import allergy_record
from ketaclinic.patients.services.registration import patient_create, patient_update
from tests.factories import PatientFactory, StaffFactory
from tests.steps import acting

ROOT = Path(__file__).resolve().parents[2]
RESTORE_DB = "test_ketaclinic_restore"
PERSON = {"given_name": "Ana", "date_of_birth": dt.date(1985, 3, 14), "sex_at_birth": "female"}


def row_counts_here() -> dict[str, int]:
    counts = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            counts[table] = cursor.fetchone()[0]
    return counts


def row_counts_in(target_url: str, tables: list[str]) -> dict[str, int]:
    if target_url.startswith("sqlite"):
        with sqlite3.connect(target_url.removeprefix("sqlite:///")) as db:
            return {t: db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    with psycopg.connect(target_url) as db:
        return {t: db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def verify_audit_against(target_url: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"DATABASE_URL": target_url, "DJANGO_SETTINGS_MODULE": "ketaclinic.settings"}
    return subprocess.run(
        [sys.executable, "manage.py", "verify_audit"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )


@pytest.fixture
def empty_target(tmp_path):  # type: ignore[no-untyped-def]
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    base = connection.settings_dict
    admin_url = f"postgresql://{base['USER']}@{base['HOST']}:{base['PORT'] or 5432}/postgres"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{RESTORE_DB}"')
        admin.execute(f'CREATE DATABASE "{RESTORE_DB}"')
    yield f"postgresql://{base['USER']}@{base['HOST']}:{base['PORT'] or 5432}/{RESTORE_DB}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{RESTORE_DB}" WITH (FORCE)')


@pytest.mark.django_db(transaction=True)
def test_backup_restores_every_row_and_an_intact_audit_chain(center, tmp_path, empty_target):
    nurse = StaffFactory(center=center, role=Role.NURSE)
    for n in range(5):
        # Through the service, so each patient has its history and verify_audit finds none missing.
        patient = patient_create(actor=acting(nurse), center=center, fields={"family_name": f"Garcia{n}", **PERSON})
        allergy_record(actor=acting(nurse), patient=patient, substance=f"Drug {n}")
        patient_update(actor=acting(nurse), patient=patient, fields={"phone": f"(714) 555-01{n:02d}"})
    audit_seal_all()
    backup = tmp_path / "ketaclinic.backup"

    call_command("backup_db", str(backup))
    call_command("restore_db", str(backup), "--database-url", empty_target)

    expected = row_counts_here()
    assert expected["patients_patient"] == 5
    assert expected["audit_auditentry"] >= 10
    assert row_counts_in(empty_target, list(expected)) == expected
    verified = verify_audit_against(empty_target)
    assert verified.returncode == 0, verified.stderr
    assert f"Audit chain intact: {expected['audit_auditentry']} sealed entries" in verified.stdout


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_database_that_is_not_empty(center, tmp_path, empty_target):
    PatientFactory(center=center)
    backup = tmp_path / "ketaclinic.backup"
    call_command("backup_db", str(backup))
    call_command("restore_db", str(backup), "--database-url", empty_target)
    with pytest.raises(CommandError, match="restore only into an empty database"):
        call_command("restore_db", str(backup), "--database-url", empty_target)


@pytest.fixture
def permissive_umask():  # type: ignore[no-untyped-def]
    """The usual 022, under which a plainly created file is readable by every user."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.mark.django_db(transaction=True)
def test_backups_are_readable_by_their_owner_only(center, tmp_path, permissive_umask):
    PatientFactory(center=center)
    fresh = tmp_path / "nightly" / "ketaclinic.backup"
    call_command("backup_db", str(fresh))
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600
    assert stat.S_IMODE(fresh.parent.stat().st_mode) == 0o700

    overwritten = tmp_path / "old.backup"
    overwritten.write_bytes(b"")
    overwritten.chmod(0o644)
    call_command("backup_db", str(overwritten))
    assert stat.S_IMODE(overwritten.stat().st_mode) == 0o600
    assert overwritten.stat().st_size > 0
