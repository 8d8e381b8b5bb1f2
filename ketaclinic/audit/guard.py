"""Audit entries are never deleted, sealed or not: the database refuses it.

PostgreSQL's trigger refuses every DELETE (migration 0002). SQLite's delete trigger (0003)
asks ``audit_entry_removal_allowed()``, a function this process defines on each connection,
and refuses unless it answers 1. In production nothing sets it; a plain ``sqlite3`` shell does
not define the function at all, so a DELETE there fails too. Only the test runner, which
empties every table with DELETE between transactional tests, allows it.
"""

from __future__ import annotations

from typing import Any


class EntryRemoval:
    """Whether this process may empty the audit table: only a test run's flush does."""

    allowed = False


def sqlite_removal_question_define(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("audit_entry_removal_allowed", 0, lambda: int(EntryRemoval.allowed))
