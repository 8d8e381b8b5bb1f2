from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ketaclinic.audit.services import audit_seal_all


class Command(BaseCommand):
    help = "Seal audit entries into the chain; with --every, keep doing so (run beside the app in production)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=int, default=0, help="Seconds between rounds; 0 seals once and exits.")

    def handle(self, *args: Any, every: int, **options: Any) -> None:
        while True:
            sealed = audit_seal_all()
            if sealed or not every:
                self.stdout.write(f"Sealed {sealed} entries.")
            if not every:
                return
            time.sleep(every)
