from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ketaclinic.audit.head import HeadNoteInvalid, audit_head_problem
from ketaclinic.audit.services import audit_seal_all
from ketaclinic.audit.verification import audit_chain_verify, audit_history_gaps, audit_removed_entries


class Command(BaseCommand):
    help = (
        "Check the audit chain's keyed hashes and report the first broken link; "
        "check that every clinical row has its history entry."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--database", default="default")
        parser.add_argument("--seal", action="store_true", help="Seal pending entries into the chain first.")
        parser.add_argument("--head", type=Path, help="A head exported by export_audit_head: the chain must reach it.")

    def handle(self, *args: Any, database: str, seal: bool, head: Path | None = None, **options: Any) -> None:
        if seal:
            self.stdout.write(f"Sealed {audit_seal_all()} pending entries.")
        report = audit_chain_verify(using=database)
        gaps = audit_history_gaps(using=database)
        for gap in gaps:
            self.stderr.write(
                f"{gap.model}: {gap.missing} of {gap.rows} rows have no history entry "
                f"(first: {', '.join(gap.first_ids)})"
            )
        if report.broken is not None:
            where = f"entry {report.broken.seq}" if report.broken.seq else f"entry id {report.broken.entry_id}"
            raise CommandError(f"Audit chain BROKEN at {where}: {report.broken.problem}.")
        removed = audit_removed_entries(using=database)
        if removed:
            ids = ", ".join(str(entry_pk) for entry_pk in removed)
            raise CommandError(f"Audit entries REMOVED: no entry with id {ids}, though later entries exist.")
        if head is not None:
            try:
                problem = audit_head_problem(json.loads(head.read_text()), using=database)
            except (OSError, ValueError, HeadNoteInvalid) as error:
                raise CommandError(f"Exported head {head} unusable: {error}.") from error
            if problem:
                raise CommandError(f"Audit chain BROKEN against the exported head: {problem}.")
        if gaps:
            missing = sum(gap.missing for gap in gaps)
            raise CommandError(f"Audit history INCOMPLETE: {missing} clinical rows have no history entry.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit chain intact: {report.sealed} sealed entries, {report.unsealed} awaiting sealing. "
                f"Head {report.head_seq} {report.head_mac[:16]}"
            )
        )
