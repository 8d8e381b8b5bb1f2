"""Back up and restore the database: SQLite's online backup API, or pg_dump / pg_restore.

A restore only goes into an empty database, so it can never overwrite a live record.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import dj_database_url
from django.db import connections

# Backups hold patient data: owner read and write only.
BACKUP_FILE_MODE = 0o600


class BackupError(Exception):
    pass


def database_settings(url: str | None, *, alias: str = "default") -> dict[str, Any]:
    return dict(dj_database_url.parse(url)) if url else dict(connections[alias].settings_dict)


def backup_create(*, output: Path, alias: str = "default") -> Path:
    """Write a consistent copy of the live database to ``output`` without stopping the app."""
    connection = connections[alias]
    output.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    _create_private(output)
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        with sqlite3.connect(output) as target:
            connection.connection.backup(target)
        target.close()
    elif connection.vendor == "postgresql":
        _run(
            ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(output)],
            connection.settings_dict,
        )
    else:
        raise BackupError(f"No backup method for {connection.vendor}.")
    return output


def _create_private(path: Path) -> None:
    """Create (or empty) ``path`` readable by its owner only, before any patient data goes in.

    SQLite and pg_dump then write into the existing file and keep its mode, so the backup is
    never readable by anyone else, not even while it is being written.
    """
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, BACKUP_FILE_MODE)
    try:
        os.fchmod(descriptor, BACKUP_FILE_MODE)  # a file that already existed keeps its old mode otherwise
    finally:
        os.close(descriptor)


def restore_into(*, backup: Path, target: dict[str, Any]) -> None:
    """Restore ``backup`` into the empty database described by ``target``."""
    if not backup.exists():
        raise BackupError(f"{backup} does not exist.")
    engine = target["ENGINE"]
    if engine.endswith("sqlite3"):
        path = Path(target["NAME"])
        if path.exists() and _sqlite_has_tables(path):
            raise BackupError(f"{path} already holds tables; restore only into an empty database.")
        with sqlite3.connect(backup) as source, sqlite3.connect(path) as destination:
            source.backup(destination)
        destination.close()
    elif "postgresql" in engine:
        if _postgres_has_tables(target):
            raise BackupError(f"Database {target['NAME']} already holds tables; restore only into an empty database.")
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--dbname",
                str(target["NAME"]),
                str(backup),
            ],
            target,
        )
    else:
        raise BackupError(f"No restore method for {engine}.")


def _sqlite_has_tables(path: Path) -> bool:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] > 0


def _postgres_has_tables(target: dict[str, Any]) -> bool:
    query = "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
    result = _run(["psql", "--tuples-only", "--no-align", "--command", query], target)
    return int(result.stdout.strip() or 0) > 0


def _run(command: list[str], settings: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    env = os.environ | {
        "PGHOST": str(settings.get("HOST") or ""),
        "PGPORT": str(settings.get("PORT") or ""),
        "PGUSER": str(settings.get("USER") or ""),
        "PGPASSWORD": str(settings.get("PASSWORD") or ""),
        "PGDATABASE": str(settings["NAME"]),
    }
    env = {key: value for key, value in env.items() if value}
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()}")
    return result
