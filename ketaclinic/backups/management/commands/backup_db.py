from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ketaclinic.backups.archive import BackupError, backup_create


class Command(BaseCommand):
    help = "Write an online backup of the database (SQLite backup API or pg_dump custom format)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("output", type=Path)
        parser.add_argument("--database", default="default")

    def handle(self, *args: Any, output: Path, database: str, **options: Any) -> None:
        try:
            path = backup_create(output=output, alias=database)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Backup written to {path} ({path.stat().st_size} bytes)."))
