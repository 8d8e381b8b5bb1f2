from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ketaclinic.backups.archive import BackupError, database_settings, restore_into


class Command(BaseCommand):
    help = "Restore a backup into an EMPTY database (the configured one, or --database-url)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup", type=Path)
        parser.add_argument("--database-url", default=None, help="Target database; defaults to DATABASE_URL.")

    def handle(self, *args: Any, backup: Path, database_url: str | None, **options: Any) -> None:
        target = database_settings(database_url)
        try:
            restore_into(backup=backup, target=target)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(f"Restored {backup} into {target['NAME']}. Run verify_audit against it next.")
        )
