from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ketaclinic.audit.services import audit_seal_all
from ketaclinic.audit.verification import audit_chain_verify


class Command(BaseCommand):
    help = "Check the audit chain's keyed hashes and report the first broken link."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--database", default="default")
        parser.add_argument("--seal", action="store_true", help="Seal pending entries into the chain first.")

    def handle(self, *args: Any, database: str, seal: bool, **options: Any) -> None:
        if seal:
            self.stdout.write(f"Sealed {audit_seal_all()} pending entries.")
        report = audit_chain_verify(using=database)
        if report.broken is not None:
            where = f"entry {report.broken.seq}" if report.broken.seq else f"entry id {report.broken.entry_id}"
            raise CommandError(f"Audit chain BROKEN at {where}: {report.broken.problem}.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit chain intact: {report.sealed} sealed entries, {report.unsealed} awaiting sealing. "
                f"Head {report.head_seq} {report.head_mac[:16]}"
            )
        )
